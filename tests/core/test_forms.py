"""Inputs in table rows are named for assistive technology (core/forms.py)."""

from django.forms import inlineformset_factory

from healthscores.forms import HealthComponentForm, HealthComponentFormSet, LabComponentFormSet
from healthscores.models import HealthComponent, HealthModel


def test_each_input_of_a_lab_component_row_is_named_after_its_field_and_row():
    formset = LabComponentFormSet(prefix="c", initial=[{}, {}])

    html = str(formset.forms[1]["weight"])

    assert 'aria-label="Weight, row 2"' in html


def test_the_admin_component_rows_name_their_delete_box_too(db):
    rows = inlineformset_factory(HealthModel, HealthComponent, form=HealthComponentForm,
                                 formset=HealthComponentFormSet, extra=1)  # fmt: skip
    formset = rows(instance=HealthModel.objects.first(), prefix="components")

    html = str(formset.forms[0]["DELETE"])

    assert 'aria-label="Delete, row 1"' in html
