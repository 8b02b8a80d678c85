"""The home page's figures, and the signed-in member's part of it: what is new in their region,
groups and follows, and open questions they could answer. Every list and count uses the same
visibility rule."""

from __future__ import annotations

from sqlalchemy import exists, or_, select

from portal.content.models import Item, item_product_groups, item_themes
from portal.content.queries import count_of, newest, organisations_sharing, published_items
from portal.criteria.models import Criterion
from portal.groups.models import GroupMembership
from portal.notifications.models import Follow
from portal.organisations.models import Organisation, organisation_regions
from portal.questions.models import Answer, Question
from portal.tenders.models import Tender

LIMIT = 6


def member_home(user) -> dict[str, list]:

    org_ids = [m.organisation_id for m in user.memberships if m.is_approved]
    region_ids = select(organisation_regions.c.region_id).where(
        organisation_regions.c.organisation_id.in_(org_ids)
    )
    peers = select(organisation_regions.c.organisation_id).where(
        organisation_regions.c.region_id.in_(region_ids)
    )
    group_ids = select(GroupMembership.group_id).where(
        GroupMembership.user_id == user.id, GroupMembership.status == "approved"
    )

    def followed(target_type: str):
        return select(Follow.target_id).where(
            Follow.user_id == user.id, Follow.target_type == target_type
        )

    expertise = [t.id for t in user.expertise]
    answered = _answered()
    open_questions = (
        published_items(user, Question)
        .where(~answered, Question.duplicate_of_id.is_(None), Question.author_id != user.id)
        .where(
            or_(
                Question.themes.any(item_themes.c.theme_id.in_(expertise)),
                Question.addressed_to.any(Organisation.id.in_(org_ids)),
                Question.themes.any(item_themes.c.theme_id.in_(followed("theme"))),
            )
        )
    )
    # Events have their own place on the home page (upcoming only), so the news lists leave them out.
    news = published_items(user).where(Item.kind != "event")
    return {
        "region": newest(
            news.where(Item.organisation_id.in_(peers), Item.organisation_id.not_in(org_ids)),
            LIMIT,
        ),
        "groups": newest(news.where(Item.group_id.in_(group_ids)), LIMIT),
        "followed": newest(
            news.where(
                or_(
                    Item.id.in_(
                        select(item_themes.c.item_id).where(
                            item_themes.c.theme_id.in_(followed("theme"))
                        )
                    ),
                    Item.id.in_(
                        select(item_product_groups.c.item_id).where(
                            item_product_groups.c.product_group_id.in_(followed("product_group"))
                        )
                    ),
                    Item.organisation_id.in_(followed("organisation")),
                    Item.group_id.in_(followed("group")),
                ),
                Item.author_id.is_distinct_from(user.id),
            ),
            LIMIT,
        ),
        "open_questions": newest(open_questions, LIMIT),
    }


def _answered():
    return exists().where(Answer.question_id == Question.id, Answer.hidden_at.is_(None))


def home_figures(user) -> dict[str, int]:
    """What the portal holds, as far as this reader may see it."""
    return {
        "tenders": count_of(published_items(user, Tender)),
        "criteria": count_of(published_items(user, Criterion)),
        "answered_questions": count_of(published_items(user, Question).where(_answered())),
        "organisations_sharing": organisations_sharing(user),
    }
