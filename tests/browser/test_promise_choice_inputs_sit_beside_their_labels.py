"""A radio button or checkbox sits at the start of its label's line, not alone on a line of its own.

The public site gives text inputs the full width; a rule that also stretched radios and
checkboxes put each one centred on its own line, apart from the words that say what it means.
"""

from __future__ import annotations

# A radio or checkbox is drawn about 13-20 px wide; "narrow" leaves room for zoom and themes.
NARROW_PX = 40

# For every radio and checkbox inside a label: its box, and the box of the label's own words.
# The map's layer switcher (Leaflet's own control: its words sit in a <span>) is not a form choice.
_MEASURE = """() => [...document.querySelectorAll("label input[type=radio], label input[type=checkbox]")]
  .filter(box => !box.closest(".leaflet-control")).map(box => {
  const words = [...box.parentElement.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
  const range = document.createRange(); range.selectNodeContents(words);
  const i = box.getBoundingClientRect(), t = range.getBoundingClientRect();
  return {name: box.name, width: i.width, boxTop: i.top, boxBottom: i.bottom, boxRight: i.right,
          textLeft: t.left, textMiddle: (t.top + t.bottom) / 2};
})"""


def _assert_beside_their_words(page) -> int:
    boxes = page.evaluate(_MEASURE)
    for box in boxes:
        assert box["width"] < NARROW_PX, box
        assert box["boxTop"] <= box["textMiddle"] <= box["boxBottom"], box  # same line as its words
        assert box["textLeft"] >= box["boxRight"], box  # and before them
    return len(boxes)


def test_promise_alert_signup_radios_and_checkboxes_sit_beside_their_labels(page, transactional_db, category):
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto("/alerts/")
    checked = _assert_beside_their_words(page)
    assert page.locator("input[type=radio]").count() >= 2 and page.locator("input[type=checkbox]").count() >= 1
    assert checked == page.locator("input[type=radio]:not(.leaflet-control *), input[type=checkbox]:not(.leaflet-control *)").count()


def test_promise_survey_choices_sit_beside_their_labels(page, transactional_db, admin_user, category):
    from testigo.surveys import services as survey_services

    yes_no = [{"name": "si", "label": {"es": "Sí", "en": "Yes"}}, {"name": "no", "label": {"es": "No", "en": "No"}}]
    survey_services.create_survey(
        actor=admin_user, name_es="Robos", form_id="robos", category=category,
        fields=[{"name": "armas", "type": "select_one", "label": {"es": "¿Armas?", "en": "Weapons?"}, "choices": yes_no},
                {"name": "que", "type": "select_multiple", "label": {"es": "¿Qué?", "en": "What?"}, "choices": yes_no}])
    page.set_viewport_size({"width": 390, "height": 900})  # a phone
    page.goto(f"/report/?category={category.pk}")
    assert _assert_beside_their_words(page) == 4 + 2  # the survey's choices, and "discreet" / "confirmation"
