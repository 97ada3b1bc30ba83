"""The template helpers of web.templatetags.northstar that pages lean on for speed."""

from django.utils.safestring import mark_safe

from web.templatetags.northstar import select_options


def test_select_options_escapes_every_value_and_text_and_marks_the_chosen_one():
    choices = [(1, 'Acme <Group> & "Co"'), ("x\"'", "O'Brien"), (3, mark_safe("<b>safe</b>"))]

    html = select_options(choices, "1")

    assert html == (
        '<option value="1" selected>Acme &lt;Group&gt; &amp; &quot;Co&quot;</option>'
        '<option value="x&quot;&#x27;">O&#x27;Brien</option>'
        '<option value="3"><b>safe</b></option>'
    )


def test_select_options_without_a_choice_selects_the_empty_any_option():
    html = select_options([("", "Any"), (2, "Two")], None)

    assert html == '<option value="" selected>Any</option><option value="2">Two</option>'
    assert select_options([], "2") == ""
