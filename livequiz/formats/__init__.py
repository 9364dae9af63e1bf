"""Quiz file formats other than our own JSON format, each read into our question models.

    opentdb       Open Trivia Database API responses and dumps (JSON), import only
    kahoot        Kahoot's quiz spreadsheet template (xlsx), import only
    csv_format    one question of any kind per CSV row, import and export
    gift          Moodle's GIFT text format, import and export

Our own format is ``livequiz.quizzes``: ``parse_quiz`` reads it and ``quiz_to_json`` writes
it. Each reader raises ``InvalidInputError`` with a message that names the place in the file
(result index, row or line) and the problem, and returns nothing when any part is invalid.
"""
