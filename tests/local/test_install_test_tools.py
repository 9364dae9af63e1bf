"""scripts/install_test_tools.sh, with stand-ins for apt-get, id and sudo on a PATH of its own.

The stand-in apt-get appends its arguments to calls.log and, for an install, creates stand-in
executables of the packages named (prometheus and promtool, chromium), so no package is
installed and the real programs of this machine stay out of the PATH.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install_test_tools.sh"
BASH = shutil.which("bash") or "/bin/bash"
CHMOD = shutil.which("chmod") or "/bin/chmod"
RM = shutil.which("rm") or "/bin/rm"
INSTALL = "install -y --no-install-recommends prometheus"
INSTALL_CHROMIUM = "install -y --no-install-recommends chromium"
BINARY_STAND_IN = '#!{bash}\necho "{name}, version 2.42.0+ds (stand-in)"\n'
# Fails the first install when $folder/stale exists, as with an outdated package list.
APT_GET_STAND_IN = """#!{bash}
echo "$*" >> "{folder}/calls.log"
if [[ "$1" == install ]]; then
  if [[ -e "{folder}/stale" ]]; then
    {rm} "{folder}/stale"
    echo "E: Unable to locate package prometheus" >&2
    exit 100
  fi
  names=""
  for package in "$@"; do
    case "$package" in
      prometheus) names="$names prometheus promtool" ;;
      chromium) names="$names chromium" ;;
    esac
  done
  for name in $names; do
    printf '#!{bash}\\necho "%s, version 2.42.0+ds (stand-in)"\\n' "$name" > "{folder}/$name"
    {chmod} +x "{folder}/$name"
  done
fi
"""


def stand_in(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A PATH folder with env and head, a stand-in id of root and a stand-in apt-get."""
    for tool in ("env", "head"):
        found = shutil.which(tool)
        assert found is not None, tool
        (tmp_path / tool).symlink_to(found)
    stand_in(tmp_path, "id", f"#!{BASH}\necho 0\n")
    stand_in(tmp_path, "chromium", BINARY_STAND_IN.format(bash=BASH, name="chromium"))
    stand_in(
        tmp_path, "apt-get", APT_GET_STAND_IN.format(bash=BASH, folder=tmp_path, chmod=CHMOD, rm=RM)
    )
    return tmp_path


def run_script(folder: Path) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, PATH=str(folder))
    return subprocess.run(
        [BASH, str(SCRIPT)], capture_output=True, text=True, timeout=30, env=environment
    )


def calls(folder: Path) -> list[str]:
    log = folder / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_installed_binaries_left_alone(folder: Path) -> None:
    for name in ("prometheus", "promtool"):
        stand_in(folder, name, BINARY_STAND_IN.format(bash=BASH, name=name))
    completed = run_script(folder)
    assert completed.returncode == 0, completed.stderr
    assert "prometheus, version 2.42.0+ds" in completed.stdout
    assert calls(folder) == []


def test_missing_promtool_installs_package(folder: Path) -> None:
    stand_in(folder, "prometheus", BINARY_STAND_IN.format(bash=BASH, name="prometheus"))
    completed = run_script(folder)
    assert completed.returncode == 0, completed.stderr
    assert calls(folder) == [INSTALL]
    assert (folder / "promtool").exists()
    assert "installed prometheus: prometheus, version 2.42.0+ds" in completed.stdout


def test_missing_chromium_installs_package(folder: Path) -> None:
    for name in ("prometheus", "promtool"):
        stand_in(folder, name, BINARY_STAND_IN.format(bash=BASH, name=name))
    (folder / "chromium").unlink()
    completed = run_script(folder)
    assert completed.returncode == 0, completed.stderr
    assert calls(folder) == [INSTALL_CHROMIUM]
    assert (folder / "chromium").exists()


def test_both_missing_installed_together(folder: Path) -> None:
    (folder / "chromium").unlink()
    completed = run_script(folder)
    assert completed.returncode == 0, completed.stderr
    assert calls(folder) == [INSTALL + " chromium"]
    assert "installed prometheus chromium" in completed.stdout


def test_stale_package_list_updated_once(folder: Path) -> None:
    (folder / "stale").touch()
    completed = run_script(folder)
    assert completed.returncode == 0, completed.stderr
    assert calls(folder) == [INSTALL, "update", INSTALL]


def test_without_apt_get_fails(folder: Path) -> None:
    (folder / "apt-get").unlink()
    completed = run_script(folder)
    assert completed.returncode == 1
    assert "has no apt-get" in completed.stderr


def test_without_root_uses_sudo(folder: Path) -> None:
    stand_in(folder, "id", f"#!{BASH}\necho 1000\n")
    # The stand-in sudo runs its command as it is, and logs that it was asked to.
    stand_in(folder, "sudo", f'#!{BASH}\necho "sudo" >> "{folder}/calls.log"\nexec "$@"\n')
    completed = run_script(folder)
    assert completed.returncode == 0, completed.stderr
    assert calls(folder) == ["sudo", INSTALL]


def test_without_root_or_sudo_fails(folder: Path) -> None:
    stand_in(folder, "id", f"#!{BASH}\necho 1000\n")
    completed = run_script(folder)
    assert completed.returncode == 1
    assert "needs root, and sudo is missing" in completed.stderr
    assert calls(folder) == []
