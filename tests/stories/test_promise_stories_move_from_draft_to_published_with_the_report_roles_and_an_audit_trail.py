"""Promise (issue #21, stories): a story goes draft → review → published with the same roles as
reports — whoever may edit reports may write and put a story in review, only a role that may
publish reports may publish it, unpublish it or change it once published — and every save and
every change of state is a link of the audit trail's hash chain."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from testigo.core import audit, roles
from testigo.core.models import AuditEvent
from testigo.stories import services
from testigo.stories.models import Story

pytestmark = pytest.mark.django_db


def test_a_volunteer_writes_and_submits_but_only_a_publisher_publishes(make_user, write_story):
    volunteer, moderator = make_user(roles.VOLUNTEER), make_user(roles.MODERATOR)
    story = write_story(status=Story.Status.DRAFT, actor=volunteer)
    assert story.status == Story.Status.DRAFT and story.created_by == volunteer
    story = services.set_status(actor=volunteer, story=story, status=Story.Status.REVIEW)
    assert story.status == Story.Status.REVIEW
    with pytest.raises(PermissionDenied):
        services.set_status(actor=volunteer, story=story, status=Story.Status.PUBLISHED)
    assert Story.objects.get(pk=story.pk).status == Story.Status.REVIEW
    story = services.set_status(actor=moderator, story=story, status=Story.Status.PUBLISHED)
    assert story.status == Story.Status.PUBLISHED and story.published_at is not None
    # Published: the volunteer can neither change its text nor take it down.
    with pytest.raises(PermissionDenied):
        services.save_story(actor=volunteer, story=story, data=services.StoryInput(texts={"title_es": "Otro"}))
    with pytest.raises(PermissionDenied):
        services.set_status(actor=volunteer, story=story, status=Story.Status.DRAFT)
    assert Story.objects.get(pk=story.pk).title_es.startswith("Extorsión")


def test_analysts_and_nobody_may_not_write(make_user):
    analyst = make_user(roles.ANALYST)
    for actor in (analyst, None):
        with pytest.raises(PermissionDenied):
            services.save_story(actor=actor, data=services.StoryInput(texts={"title_es": "Algo"}))
    assert not Story.objects.exists()


def test_every_save_and_state_change_is_audited_in_the_chain(admin_user, write_story, published_report):
    story = write_story(status=Story.Status.DRAFT, references=[published_report.reference])
    services.set_status(actor=admin_user, story=story, status=Story.Status.REVIEW)
    services.set_status(actor=admin_user, story=story, status=Story.Status.PUBLISHED)
    services.set_status(actor=admin_user, story=story, status=Story.Status.DRAFT)
    events = list(AuditEvent.objects.filter(object_type="stories.story", object_id=str(story.pk)).order_by("seq"))
    assert [e.action for e in events] == ["story.created", "story.review", "story.published", "story.draft"]
    assert events[0].data["reports"] == [published_report.reference]
    assert all(e.actor_name == admin_user.username for e in events)
    assert audit.verify().ok
    assert audit.action_label("story.published") != "story.published"


def test_bad_input_is_refused_with_a_reason_and_nothing_saved(write_story):
    write_story(slug="buses")
    with pytest.raises(ValidationError, match="T-NOPE-NOPE"):
        write_story(title_es="Otra", references=["T-NOPE-NOPE"])
    with pytest.raises(ValidationError):
        write_story(title_es="", title_en="")
    with pytest.raises(ValidationError):
        write_story(title_es="Otra", slug="buses")
    assert Story.objects.count() == 1


def test_shortcodes_link_their_reports(write_story, published_report):
    story = write_story(body_es=f"Un caso:\n\n[[report:{published_report.reference.lower()}]]\n")
    assert list(story.links.values_list("report__reference", flat=True)) == [published_report.reference]


def test_console_pages_write_preview_and_publish(client, admin_user, published_report):
    client.force_login(admin_user)
    assert client.get(reverse("stories_console:list")).status_code == 200
    form = {"title_es": "Extorsión en rutas", "summary_es": "Un patrón.", "body_es": "## Qué pasa\n\n> cita",
            "title_en": "", "summary_en": "", "body_en": "", "slug": "", "references": published_report.reference,
            "redactions": "Juan Pérez"}
    preview = client.post(reverse("stories_console:new"), {**form, "preview": "1"})
    assert preview.status_code == 200 and "<blockquote>" in preview.content.decode()
    assert not Story.objects.exists()
    saved = client.post(reverse("stories_console:new"), {**form, "save": "1"})
    story = Story.objects.get()
    assert saved.status_code == 302 and story.slug == "extorsion-en-rutas" and story.redactions == ["Juan Pérez"]
    assert client.get(reverse("stories_console:edit", args=[story.pk])).status_code == 200
    client.post(reverse("stories_console:status", args=[story.pk]), {"status": "published"})
    assert Story.objects.get().status == Story.Status.PUBLISHED
    assert Client().get(reverse("stories:story", args=[story.slug])).status_code == 200


def test_the_console_refuses_a_volunteer_publishing(client, make_user, write_story):
    volunteer = make_user(roles.VOLUNTEER)
    story = write_story(status=Story.Status.REVIEW, actor=volunteer)
    client.force_login(volunteer)
    page = client.get(reverse("stories_console:edit", args=[story.pk])).content.decode()
    assert 'value="published"' not in page
    client.post(reverse("stories_console:status", args=[story.pk]), {"status": "published"})
    assert Story.objects.get().status == Story.Status.REVIEW


def test_an_evidence_package_of_a_story_holds_all_its_linked_reports(client, admin_user, report_factory,
                                                                      published_report, write_story):
    import io
    import zipfile

    draft_report = report_factory(title="Otro caso")
    story = write_story(references=[published_report.reference, draft_report.reference])
    client.force_login(admin_user)
    response = client.post(reverse("stories_console:evidence", args=[story.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    for ref in (published_report.reference, draft_report.reference):
        assert any(ref in name for name in names), names
    assert AuditEvent.objects.filter(action="story.evidence_exported", object_id=str(story.pk)).exists()


def test_the_command_line_exports_a_storys_reports(tmp_path, report_factory, published_report, write_story):
    import zipfile

    from django.core.management import CommandError, call_command

    other = report_factory(title="Otro caso")
    story = write_story(references=[published_report.reference, other.reference])
    target = tmp_path / "historia.zip"
    call_command("evidence_export", "--story", story.slug, "-o", str(target))
    names = zipfile.ZipFile(target).namelist()
    assert any(published_report.reference in n for n in names) and any(other.reference in n for n in names)
    with pytest.raises(CommandError, match="no story"):
        call_command("evidence_export", "--story", "no-such-story", "-o", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()
    empty = write_story(title_es="Sin reportes", slug="vacia")
    with pytest.raises(CommandError):
        call_command("evidence_export", "--story", empty.slug, "-o", str(tmp_path / "y.zip"))
