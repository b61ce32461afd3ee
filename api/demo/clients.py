"""Demo clients: a few hundred over 18 months, in every state, with valid generated IDs."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from api.demo import Seeder
from api.demo.staff import staff_id
from domain import clients as c
from domain.clients.identity import (
    USCC_ALPHABET,
    DocumentType,
    resident_id_check_char,
    uscc_check_char,
)

# Who acts for each branch in the demo: (account managers, marketing, supervisor).
BRANCH_STAFF = {
    "SH01": ([staff_id(1), staff_id(12)], staff_id(6), staff_id(0)),
    "BJ02": ([staff_id(11)], staff_id(11), staff_id(7)),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国晓东"
REGIONS = ["110105", "310115", "440305", "320106", "330106", "510107"]
COMPANIES = ["华信投资", "东方制造", "长江贸易", "新兴科技", "远航物流", "金石资本"]


def client_id(i: int) -> UUID:
    """The id of the demo client number ``i``."""
    return uuid5(NAMESPACE_URL, f"backoffice:demo:client:{i}")


def resident_id(rng: random.Random, born: date) -> str:
    """A valid 18-digit resident ID for someone born on ``born``."""
    first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return first17 + resident_id_check_char(first17)


def credit_code(rng: random.Random) -> str:
    """A valid unified social credit code."""
    first17 = "91" + rng.choice(REGIONS) + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return first17 + uscc_check_char(first17)


def seed(s: Seeder, count: int = 300, seed: int = 2026) -> None:
    """Seed ``count`` clients spread over 18 months and every state (deterministic)."""
    rng = random.Random(seed)
    for i in range(count):
        _one(s, rng, i)
        s.report("demo clients", i + 1, count)
    s.runtime.runner.sync(s.position)


def _document(rng: random.Random, institution: bool) -> tuple[DocumentType, str]:
    if institution:
        return DocumentType.USCC, credit_code(rng)
    born = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
    roll = rng.random()
    if roll < 0.015:
        return DocumentType.PASSPORT, f"E{rng.randint(10_000_000, 99_999_999)}"
    if roll < 0.02:
        return DocumentType.HK_MACAU_PERMIT, f"H{rng.randint(10_000_000, 99_999_999)}"
    return DocumentType.RESIDENT_ID, resident_id(rng, born)


def _one(s: Seeder, rng: random.Random, i: int) -> None:
    """One client's story, step by step; it stops at a random stage."""
    branch = "SH01" if rng.random() < 0.7 else "BJ02"
    managers, marketing, supervisor = BRANCH_STAFF[branch]
    manager = rng.choice(managers)
    institution = rng.random() < 0.08
    cid = client_id(i)
    at = s.now - timedelta(days=rng.randint(3, 540), minutes=rng.randint(0, 600))
    if institution:
        name = rng.choice(COMPANIES) + f"有限公司{i}"
    else:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    s.run(
        f"c{i}:register",
        marketing,
        at,
        c.RegisterClient(
            client_id=cid,
            client_type=c.ClientType.INSTITUTION if institution else c.ClientType.INDIVIDUAL,
            name=name,
            source_channel=rng.choice(list(c.SourceChannel)),
            account_manager=manager,
        ),
    )
    stage = rng.random()
    if stage < 0.08:
        return  # a prospect
    at += timedelta(hours=rng.randint(1, 72))
    doc_type, number = _document(rng, institution)
    s.run(
        f"c{i}:identity",
        manager,
        at,
        c.RecordIdentity(
            client_id=cid, real_name=name, document_type=doc_type, document_number=number
        ),
    )
    s.run(
        f"c{i}:contact",
        manager,
        at,
        c.RecordContact(
            client_id=cid,
            mobile=f"13{rng.randint(100_000_000, 999_999_999)}",
            id_address=f"{rng.choice(['北京市', '上海市', '深圳市'])}某路{i}号",
            mailing_address=f"{'上海市' if branch == 'SH01' else '北京市'}某街{i}号",
        ),
    )
    if institution:
        for k in range(rng.randint(1, 2)):
            born = date(rng.randint(1955, 1990), rng.randint(1, 12), rng.randint(1, 28))
            s.run(
                f"c{i}:owner{k}",
                manager,
                at,
                c.AddBeneficialOwner(
                    client_id=cid,
                    name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                    document_type=DocumentType.RESIDENT_ID,
                    document_number=resident_id(rng, born),
                    share=Decimal(rng.choice([30, 40, 50])),
                ),
            )
    if stage < 0.16:
        return  # identified, not yet assessed
    _profile(s, rng, i, cid, manager, at + timedelta(days=rng.randint(0, 5)))
    if stage < 0.24:
        return  # profiled, no agreement yet
    _open(s, rng, i, cid, manager, supervisor, branch, stage, name, institution, at)


def _profile(s: Seeder, rng: random.Random, i: int, cid: UUID, manager: UUID, at: datetime) -> None:
    level = rng.choices(list(c.RiskLevel), [10, 25, 35, 20, 10])[0]
    declared = Decimal(rng.choice([300_000, 1_000_000, 3_000_000, 8_000_000, 20_000_000]))
    s.run(f"c{i}:risk", manager, at, c.AssessRisk(client_id=cid, level=level))
    s.run(
        f"c{i}:classify",
        manager,
        at,
        c.ClassifyInvestor(
            client_id=cid, classification=c.InvestorClass.ORDINARY, financial_assets=declared
        ),
    )
    if rng.random() < 0.3:
        assets = Decimal(rng.choice([300_000, 800_000, 1_200_000, 3_000_000, 12_000_000]))
        s.run(
            f"c{i}:qualified",
            manager,
            at,
            c.AssessQualifiedInvestor(
                client_id=cid,
                evidence_ref=f"demo-evidence-{i}",
                family_financial_assets=assets,
                net_assets=assets,
            ),
        )


def _open(
    s: Seeder,
    rng: random.Random,
    i: int,
    cid: UUID,
    manager: UUID,
    supervisor: UUID,
    branch: str,
    stage: float,
    name: str,
    institution: bool,
    at: datetime,
) -> None:
    s.run(
        f"c{i}:agreement",
        manager,
        at,
        c.SignAgreement(
            client_id=cid, agreement_type=c.AgreementType.CLIENT_AGREEMENT, version="2025.2"
        ),
    )
    number = f"{'88' if branch == 'SH01' else '66'}{i:08d}"
    s.run(f"c{i}:open", manager, at, c.OpenAccount(client_id=cid, account_number=number))
    if stage > 0.97:
        at += timedelta(days=rng.randint(30, 200))
        s.run(f"c{i}:close", supervisor, at, c.CloseClient(client_id=cid), "client moved abroad")
    elif stage > 0.93:
        at += timedelta(days=rng.randint(1, 100))
        s.run(f"c{i}:freeze", supervisor, at, c.FreezeClient(client_id=cid), "judicial freeze")
    elif stage > 0.89 and not institution:
        at += timedelta(days=rng.randint(1, 100))
        s.run(
            f"c{i}:change",
            manager,
            at,
            c.RequestIdentityChange(
                client_id=cid,
                request_id=uuid5(NAMESPACE_URL, f"demo:change:{i}"),
                evidence_ref=f"demo-scan-{i}",
                real_name=name + "然",
            ),
            "name changed at the public security bureau",
        )
