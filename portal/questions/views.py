"""Questions and answers pages. A question's own page is the shared item page (content.show) with
the answers in templates/content/_details_question.html; the writes are here."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.accounts.models import User
from portal.content.kinds import kinds
from portal.content.queries import published_items, visible_to
from portal.content.views import follow_renamed, show
from portal.extensions import db
from portal.forms import button_action, choices, handle_form
from portal.groups.models import WorkingGroup
from portal.organisations.models import Membership, Organisation
from portal.pagecache import cache_pages
from portal.pagination import paginate
from portal.questions import services
from portal.questions.forms import AnswerForm, AskForm, CommentForm, DuplicateForm
from portal.questions.models import Answer, Question
from portal.questions.queries import (
    address_groups_for,
    answer_stats,
    answers_by,
    answers_per_question,
    asking_organisation,
)
from portal.regions.models import Region
from portal.sections import add_section
from portal.taxonomy.models import ProductGroup, Theme

bp = Blueprint("questions", __name__)
cache_pages(bp)  # anonymous visitors' pages: portal/pagecache.py
LISTS = ("nieuw", "onbeantwoord", "regio", "themas")


def _question(slug: str) -> Question:
    question = db.session.scalar(select(Question).where(Question.slug == slug))
    if question is None:
        follow_renamed(Question, slug)
    if question is None or not permissions.can_view_item(current_user, question):
        abort(404)
    return question


def load_answer(answer_id: int) -> Answer:
    """The answer, if this visitor may see it (a hidden one only for moderators), or 404."""
    answer = db.session.get(Answer, answer_id)
    if answer is None or not permissions.can_view_item(current_user, answer.question):
        abort(404)
    if answer.hidden_at is not None and not permissions.can_moderate(current_user):
        abort(404)
    return answer


def question_url(question: Question, anchor: str = "") -> str:
    return url_for("content.show", spec="question", slug=question.slug) + anchor


def answer_url(answer: Answer) -> str:
    return question_url(answer.question, answer.anchor)


@bp.route("/vragen/")
def index():
    """Newest, unanswered, my region, my themes; accepted and verified answers first per list."""
    chosen = request.args.get("lijst", "nieuw")
    if chosen not in LISTS:
        chosen = "nieuw"
    if chosen in ("regio", "themas") and not permissions.is_verified_member(current_user):
        if not permissions.is_signed_in(current_user):
            flash(_("Log in om vragen uit uw regio of over uw thema's te zien."), "info")
            return redirect(url_for("accounts.login", next=request.full_path))
        # Signed in but not verified: the login page would send them straight back here.
        flash(_("Bevestig eerst uw e-mailadres om vragen uit uw regio of over uw thema's te zien."), "info")  # fmt: skip
        chosen = "nieuw"
    query = select(Question).where(*visible_to(current_user))
    answered = exists().where(Answer.question_id == Question.id, Answer.hidden_at.is_(None))
    if chosen == "onbeantwoord":
        query = query.where(~answered, Question.duplicate_of_id.is_(None))
    elif chosen == "regio":
        regions = {
            r.id for m in current_user.memberships if m.is_approved for r in m.organisation.regions
        }
        query = query.where(
            or_(
                Question.region_id.in_(regions),
                Question.organisation.has(Organisation.regions.any(Region.id.in_(regions))),
            )
        )
    elif chosen == "themas":
        theme_ids = [t.id for t in current_user.expertise]
        query = query.where(Question.themes.any(Theme.id.in_(theme_ids)))
    checked = exists().where(
        Answer.question_id == Question.id,
        Answer.hidden_at.is_(None),
        or_(Answer.accepted_at.is_not(None), Answer.verified_at.is_not(None)),
    )
    ordering = [Question.published_at.desc(), Question.id.desc()]
    if chosen != "nieuw":
        ordering = [checked.desc(), *ordering]
    page = paginate(
        query.order_by(*ordering).options(
            selectinload(Question.organisation), selectinload(Question.region),
            selectinload(Question.group), selectinload(Question.themes),
        ),
        per_page=20,
    )  # fmt: skip
    counts = answers_per_question([q.id for q in page.items])  # counts and badges in one query
    return render_template(
        "questions/index.html", page=page, chosen=chosen, counts=counts, spec=kinds()["question"]
    )


def _prepare(form: AskForm) -> None:
    form.themes.choices = choices(
        [(t.slug, t.label) for t in db.session.scalars(select(Theme).order_by(Theme.position))]
    )
    form.product_groups.choices = choices(
        [
            (g.slug, g.name)
            for g in db.session.scalars(select(ProductGroup).order_by(ProductGroup.position))
        ]
    )
    organisation = asking_organisation(current_user)
    form.addressed_groups.choices = choices(
        address_groups_for(organisation) if organisation is not None else []
    )
    form.addressed_to.choices = choices(
        [
            (o.slug, o.name)
            for o in db.session.scalars(select(Organisation).order_by(Organisation.name))
        ]
    )
    form.region.choices = choices(
        [("", _("— geen —"))]
        + [(r.slug, r.name) for r in db.session.scalars(select(Region).order_by(Region.name))]
    )
    groups = [
        g for g in db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.name))
        if permissions.is_group_member(current_user, g)
    ]  # fmt: skip
    form.group.choices = choices([("", _("— geen —"))] + [(g.slug, g.name) for g in groups])


@bp.route("/vragen/nieuw", methods=["GET", "POST"])
@login_required
def ask():
    if not permissions.can_ask_question(current_user):
        abort(403)
    form = AskForm()
    _prepare(form)
    if request.method == "GET" and request.args.get("werkgroep"):
        form.group.data = request.args["werkgroep"]

    def save():
        data = services.QuestionData(
            title=form.title.data or "", body=form.body.data or "", themes=form.themes.data or [],
            product_groups=form.product_groups.data or [], region=form.region.data or None,
            group=form.group.data or None, visibility=form.visibility.data or "public",
            addressed_to=form.addressed_to.data or [],
            addressed_groups=form.addressed_groups.data or [], form_token=form.form_token.data,
        )  # fmt: skip
        return services.ask_question(data, actor=current_user)

    outcome = handle_form(form, save)
    if outcome.done:
        flash(_("Uw vraag staat online. U krijgt bericht als iemand antwoordt."), "success")
        return redirect(question_url(outcome.value))
    return render_template("questions/ask.html", form=form), outcome.status


def _slugs(raw: str) -> list[str]:
    """Item slugs from 'slug, https://…/aanbestedingen/slug, …'."""
    found = []
    for part in (raw or "").split(","):
        part = part.strip().rstrip("/")
        if part:
            found.append(part.rsplit("/", 1)[-1].split("?")[0].split("#")[0])
    return found


def _failed(question: Question, outcome):
    """Show the question again with the reason, under the status the service chose."""

    flash(outcome.value, "error")
    return show(kinds()["question"], question.slug), outcome.status


def _form_failed(question: Question, form, outcome):
    """A refused form under a question: its messages, the question page, the right status."""

    fields = [
        str(e)
        for name, errs in form.errors.items()
        if name not in ("csrf_token", None)
        for e in errs
    ]
    for message in [*form.form_errors, *fields] or [
        _("Het formulier is verlopen; probeer het opnieuw.")
    ]:
        flash(str(message), "error")
    return show(kinds()["question"], question.slug), (
        outcome.status if outcome.status != 200 else 400
    )


@bp.route("/vragen/<slug>/antwoorden", methods=["POST"])
@login_required
def answer(slug: str):
    question = _question(slug)
    if not permissions.can_answer_question(current_user, question):
        abort(403)
    form = AnswerForm()
    outcome = handle_form(
        form,
        lambda: services.answer_question(
            question, form.body.data or "", _slugs(form.linked_items.data), actor=current_user
        ),
    )
    if outcome.done:
        flash(_("Dank u! Uw antwoord staat bij de vraag."), "success")
        return redirect(question_url(question, outcome.value.anchor))
    return _form_failed(question, form, outcome)


def answer_button(answer: Answer, allowed: bool, action, success: str):
    """A button on an answer: back to the answer; a refusal shows the question with its status."""
    return button_action(
        allowed, action, success, answer_url(answer),
        failed=lambda outcome: _failed(answer.question, outcome),
    )  # fmt: skip


@bp.route("/antwoorden/<int:answer_id>/nuttig", methods=["POST"])
@login_required
def vote(answer_id: int):
    answer = load_answer(answer_id)
    return answer_button(
        answer, permissions.can_vote_answer(current_user, answer),
        lambda: services.vote_answer(answer, actor=current_user), _("U vond dit antwoord nuttig."),
    )  # fmt: skip


@bp.route("/antwoorden/<int:answer_id>/accepteren", methods=["POST"])
@login_required
def accept(answer_id: int):
    answer = load_answer(answer_id)
    return answer_button(
        answer, permissions.can_accept_answer(current_user, answer),
        lambda: services.accept_answer(answer, actor=current_user), _("Antwoord geaccepteerd."),
    )  # fmt: skip


@bp.route("/antwoorden/<int:answer_id>/verifieren", methods=["POST"])
@login_required
def verify(answer_id: int):
    answer = load_answer(answer_id)
    return answer_button(
        answer, permissions.can_verify_answer(current_user, answer),
        lambda: services.verify_answer(answer, actor=current_user),
        _("Antwoord gemarkeerd als geverifieerd."),
    )  # fmt: skip


@bp.route("/antwoorden/<int:answer_id>/reacties", methods=["POST"])
@login_required
def comment(answer_id: int):
    answer = load_answer(answer_id)
    if not permissions.can_comment_answer(current_user, answer):
        abort(403)
    form = CommentForm()
    outcome = handle_form(
        form, lambda: services.comment_answer(answer, form.body.data or "", actor=current_user)
    )
    if outcome.done:
        flash(_("Uw reactie is geplaatst."), "success")
        return redirect(answer_url(answer))
    return _form_failed(answer.question, form, outcome)


@bp.route("/antwoorden/<int:answer_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit_answer(answer_id: int):
    answer = load_answer(answer_id)
    if not permissions.can_edit_answer(current_user, answer):
        abort(403)
    form = AnswerForm()
    if request.method == "GET":
        form.body.data = answer.body_md
        form.linked_items.data = ", ".join(i.slug for i in answer.linked_items)
    outcome = handle_form(
        form,
        lambda: services.edit_answer(
            answer, form.body.data or "", _slugs(form.linked_items.data), actor=current_user
        ),
    )
    if outcome.done:
        flash(_("Antwoord bijgewerkt."), "success")
        return redirect(answer_url(answer))
    return render_template("questions/edit_answer.html", form=form, answer=answer), outcome.status


@bp.route("/vragen/<slug>/dubbel", methods=["POST"])
@login_required
def duplicate(slug: str):
    question = _question(slug)
    if not permissions.can_mark_duplicate(current_user, question):
        abort(403)
    form = DuplicateForm()
    outcome = handle_form(
        form,
        lambda: services.mark_duplicate(
            question, (_slugs(form.original.data) or [""])[0], actor=current_user
        ),
    )
    if outcome.done:
        flash(_("De vraag is gemarkeerd als dubbel."), "success")
        return redirect(question_url(question))
    return _form_failed(question, form, outcome)


# --- The expert finder: members by expertise, most verified and accepted answers first ---


@bp.route("/leden")
@login_required
def members():
    """Find the experts: members by expertise theme, most verified and accepted answers first."""
    if not permissions.can_view_profiles(current_user):
        abort(403)
    themes = db.session.scalars(select(Theme).order_by(Theme.position)).all()
    chosen = request.args.get("thema", "")
    query = select(User.id, User.name).where(
        User.email_verified_at.is_not(None), User.memberships.any(Membership.status == "approved")
    )
    if chosen:
        query = query.where(User.expertise.any(Theme.slug == chosen))
    # Rank every candidate first, then load the 200 shown (a limit before ranking hid experts).
    candidates = db.session.execute(query).all()
    stats = answer_stats([user_id for user_id, _name in candidates], current_user)
    candidates.sort(
        key=lambda c: (-stats[c[0]].verified, -stats[c[0]].accepted, -stats[c[0]].answers, c[1])
    )
    shown = [user_id for user_id, _name in candidates[:200]]
    loaded = {
        p.id: p
        for p in db.session.scalars(
            select(User)
            .where(User.id.in_(shown))
            .options(
                selectinload(User.memberships).selectinload(Membership.organisation),
                selectinload(User.expertise),
            )
        )
    }
    people = [loaded[user_id] for user_id in shown]
    return render_template(
        "questions/members.html", people=people, stats=stats, themes=themes, chosen=chosen
    )


@bp.route("/leden/<int:user_id>")
@login_required
def member(user_id: int):
    if not permissions.can_view_profiles(current_user):
        abort(403)
    person = db.session.get(User, user_id)
    if (
        person is None
        or not person.is_verified
        or not any(m.is_approved for m in person.memberships)
    ):
        abort(404)
    return render_template(
        "questions/member.html", person=person, stats=answer_stats([person.id], current_user)[person.id],
        answers=answers_by(person, current_user),
    )  # fmt: skip


@add_section("groups.show", "questions/_group_section.html", order=10)
def _group_discussions(group: WorkingGroup, user) -> dict:
    """The group's newest questions the reader may see."""
    discussions = db.session.scalars(
        published_items(user, Question)
        .where(Question.group_id == group.id)
        .order_by(Question.published_at.desc(), Question.id.desc())
        .limit(10)
    ).all()
    membership = permissions.group_membership(user, group)
    return {"group": group, "discussions": discussions, "membership": membership}
