"""The rules of a household's Telegram group (core/households/chats.py) on the real
database: which household /household binds, members by @name, and the group posts'
leases."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.exceptions import Invalid, NotFound
from core.households import chats as groups
from core.models import Household, HouseholdChatPost, HouseholdMember, User
from core.models.base import utcnow

GROUP = -1001


async def person(session: Any, username: str, telegram: str | None = None) -> User:
    user = User(username=username, email=None, password_hash=None, telegram_username=telegram)
    session.add(user)
    await session.flush()
    return user


async def household(
    session: Any, name: str, members: dict[User, str], days_ago: int = 0
) -> Household:
    home = Household(name=name, currency="EUR")
    session.add(home)
    await session.flush()
    for user, role in members.items():
        session.add(
            HouseholdMember(
                household_id=home.id,
                user_id=user.id,
                role=role,
                joined_at=utcnow() - timedelta(days=days_ago),
            )
        )
    await session.flush()
    return home


async def test_binding_prefers_an_owned_household_then_the_newest_and_one_per_group(app):
    async with app.state.database.session() as session:
        ana, ben = await person(session, "ana"), await person(session, "ben")
        await household(session, "Bens", {ben: "owner", ana: "member"}, days_ago=0)
        old = await household(session, "Old", {ana: "owner"}, days_ago=30)
        new = await household(session, "New", {ana: "owner"}, days_ago=1)
        bound = await groups.bind_chat(session, ana, GROUP, "Flat")
        assert (bound.outcome, bound.household) == ("bound", new)
        # The group has its household now, whoever asks.
        again = await groups.bind_chat(session, ben, GROUP, "Flat", "Bens")
        assert (again.outcome, again.household, again.member) == ("already", new, False)
        assert (await groups.bind_chat(session, ana, GROUP, "Flat")).member is True
        # A name picks among the households the sender owns without a group, any case.
        missing = await groups.bind_chat(session, ana, GROUP - 1, "Trip", "Cabin")
        assert (missing.outcome, missing.choices) == ("no-such", ("Old",))
        chosen = await groups.bind_chat(session, ana, GROUP - 1, "Trip", "old")
        assert (chosen.outcome, chosen.household) == ("bound", old)
        assert await groups.household_of_chat(session, GROUP - 1) == old


async def test_a_name_finds_a_member_and_tells_a_stranger_from_nobody(app):
    async with app.state.database.session() as session:
        ana, ben = await person(session, "ana", "ana_tg"), await person(session, "ben")
        cara = await person(session, "cara", "cara_tg")
        home = await household(session, "Home", {ana: "owner", ben: "member"})
        assert await groups.member_named(session, home, "@ANA_tg") == ana
        assert await groups.member_named(session, home, "@ben") == ben  # finbot username
        with pytest.raises(Invalid):
            await groups.member_named(session, home, "@cara_tg")
        with pytest.raises(NotFound):
            await groups.member_named(session, home, "@nobody")
        # A Telegram name changes hands: the new holder answers to it, the old one not.
        await groups.remember_username(session, cara, "ana_tg")
        assert await groups.member_named(session, home, "@ana") == ana
        with pytest.raises(Invalid):
            await groups.member_named(session, home, "@ana_tg")
        await session.refresh(ana)
        assert ana.telegram_username is None


async def test_posts_before_the_group_are_not_sent_and_a_lease_keeps_others_off(app):
    async with app.state.database.session() as session:
        ana = await person(session, "ana")
        home = await household(session, "Home", {ana: "owner"})
        session.add(
            HouseholdChatPost(household_id=home.id, kind="budget", message="old", dedupe_key="a")
        )
        await session.flush()
        assert await groups.claim_posts(session, utcnow(), 10) == []  # no group: nowhere to go
        await groups.bind_chat(session, ana, GROUP, "Flat")
        session.add(
            HouseholdChatPost(household_id=home.id, kind="budget", message="new", dedupe_key="b")
        )
    now = utcnow()
    async with app.state.database.session() as session:
        [(post, chat)] = await groups.claim_posts(session, now, 10)
        assert (post.message, chat, post.delivery_attempts) == ("new", GROUP, 1)
    async with app.state.database.session() as session:
        assert await groups.claim_posts(session, now, 10) == []  # leased to the first
    async with app.state.database.session() as session:
        [(again, _)] = await groups.claim_posts(session, now + groups.POST_LEASE, 10)
        assert again.delivery_attempts == 2  # the first sender died: the lease ran out
        await groups.record_post_deliveries(session, [again.id], {})
    async with app.state.database.session() as session:
        assert await groups.claim_posts(session, now + 2 * groups.POST_LEASE, 10) == []
        delivered = await session.execute(select(HouseholdChatPost.delivered_at))
        assert all(at is not None for at in delivered.scalars())


async def test_only_the_owner_binds_and_unbinds(app):
    async with app.state.database.session() as session:
        ana, ben = await person(session, "ana"), await person(session, "ben")
        cara = await person(session, "cara")
        bens = await household(session, "Bens", {ben: "owner", ana: "member"})
        # ana is only a member of Bens: she can neither name it nor get it by default,
        # and no household is made in its place.
        named = await groups.bind_chat(session, ana, GROUP, "Flat", "bens")
        assert (named.outcome, named.household, named.owner) == ("not-owner", bens, ben)
        unnamed = await groups.bind_chat(session, ana, GROUP, "Flat")
        assert (unnamed.outcome, unnamed.household, unnamed.owner) == ("not-owner", bens, ben)
        assert await groups.household_of_chat(session, GROUP) is None
        assert (await groups.bind_chat(session, ben, GROUP, "Flat")).outcome == "bound"
        # Unbinding: the owner's word only; a stranger learns nothing of the household.
        assert await groups.unbind_chat(session, cara, GROUP) == groups.Unbound("not-member")
        refused = await groups.unbind_chat(session, ana, GROUP)
        assert (refused.outcome, refused.owner) == ("not-owner", ben)
        assert await groups.household_of_chat(session, GROUP) == bens
        assert (await groups.unbind_chat(session, ben, GROUP)).outcome == "unbound"
        assert await groups.household_of_chat(session, GROUP) is None
        assert (await groups.unbind_chat(session, ben, GROUP)).outcome == "not-bound"
        # Unbound, the household can go to another group of its owner's choice.
        assert (await groups.bind_chat(session, ben, GROUP - 1, "Trip")).household == bens


async def test_a_name_two_members_answer_to_is_refused_with_both(app):
    async with app.state.database.session() as session:
        alice = await person(session, "alice", "alice_tg")
        # mallory takes the Telegram @name that is alice's finbot username.
        mallory = await person(session, "mallory", "alice")
        home = await household(session, "Home", {alice: "owner", mallory: "member"})
        with pytest.raises(groups.AmbiguousMember) as refused:
            await groups.member_named(session, home, "@alice")
        assert {p.id for p in refused.value.people} == {alice.id, mallory.id}
        # A name only one of them answers to still finds them.
        assert await groups.member_named(session, home, "@alice_tg") == alice
        assert await groups.member_named(session, home, "@mallory") == mallory
