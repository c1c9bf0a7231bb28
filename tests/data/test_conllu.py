import pytest

from lstm_cli.data.conllu import read_conllu
from lstm_cli.errors import ConfigError, DataError

SENTENCE = """# sent_id = 1
# text = Don't go.
1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_
1\tDo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_
2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_
3\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\t_
3.1\tgone\tgo\tVERB\tVBN\t_\t_\t_\t3:conj\t_
4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_
"""


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "x.conllu"
    path.write_text(SENTENCE)
    return path


@pytest.mark.parametrize(("field", "labels"), [
    ("upos", ["AUX", "PART", "VERB", "PUNCT"]),
    ("xpos", ["VBP", "RB", "VB", "."]),
    ("deprel", ["aux", "advmod", "root", "punct"]),
])
def test_label_fields_skipping_ranges_empty_nodes_and_comments(path, field, labels):
    first, second = read_conllu(path, label_field=field)
    assert first.tokens == ["Do", "n't", "go", "."]
    assert first.labels == labels
    assert first.source == f"{path}:4"
    assert second.tokens == ["Hi"] and second.source == f"{path}:10"


def test_unlabelled(path):
    assert read_conllu(path, label_field=None)[0].labels is None


def test_wrong_field_count_names_the_line(tmp_path):
    path = tmp_path / "bad.conllu"
    path.write_text("1\tDo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_\n2 go go VERB VB _ 0 root _ _\n")
    with pytest.raises(DataError, match="expected 10 tab-separated fields, found 1") as error:
        read_conllu(path)
    assert error.value.line == 2


def test_unknown_label_field(path):
    with pytest.raises(ConfigError, match="upos, xpos, deprel"):
        read_conllu(path, label_field="lemma")
