"""The application service: one method per use case; each loads, decides, and saves once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar, Protocol, TypeVar, cast, runtime_checkable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from domain.access import Permission, granting_role, roles_with
from domain.clients import (
    AccountNumberClaim,
    ClassificationThresholds,
    Client,
    QualifiedThresholds,
    account_claim_id,
)
from domain.envelope import Command, Envelope
from domain.errors import ConcurrencyConflict, NotAllowed, NotFound, ValidationError
from domain.instruments import Instrument, instrument_id, parse_code
from domain.keys import SigningKey, signing_key_id
from domain.orders import ExecutionClaim, Order, execution_claim_id
from domain.retention import POLICY_ID, LegalHold, RetentionPolicy, hold_id, parse_presets
from domain.staff import Role, Staff, parse_branch
from domain.suitability import (
    ClientFacts,
    InstrumentFacts,
    OrderTerms,
    SurveillancePolicy,
    abnormal_rules,
    review_checks,
)

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class CommandResult:
    """What a command returns: the record, its new version, and the log position to wait for."""

    aggregate_id: UUID
    version: int
    position: int | None
    replayed: bool = False


@dataclass(frozen=True)
class CommandRecord:
    """The idempotency row saved in the same transaction as a command's events."""

    idempotency_key: str
    command: str
    actor: UUID
    aggregate_id: UUID
    aggregate_version: int


@runtime_checkable
class CommandLog(Protocol):
    """A recorder that keeps idempotency keys beside the events (api.store implements it)."""

    def find_command(self, idempotency_key: str) -> tuple[CommandRecord, int | None] | None:
        """The command saved under this key and the position of its event, if any."""


class EnvelopeAsDict(Transcoding):
    """Stores an Envelope as a plain mapping inside the event's JSON state."""

    type = Envelope
    name = "envelope"

    def encode(self, obj: Envelope) -> dict[str, Any]:
        return {
            "actor": obj.actor,
            "actor_role": obj.actor_role,
            "branch_id": obj.branch_id,
            "correlation_id": obj.correlation_id,
            "causation_id": obj.causation_id,
            "occurred_at": obj.occurred_at,
            "reason": obj.reason,
            "business_date": obj.business_date,
        }

    def decode(self, data: dict[str, Any]) -> Envelope:
        return Envelope(**data)


class DateAsISO(Transcoding):
    """Calendar dates (business dates, birth dates) as ISO 8601 text."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class ClientPolicy:
    """Configurable numbers of the client rules (DESIGN §4)."""

    risk_validity_months: int = 24
    classification: ClassificationThresholds = ClassificationThresholds()
    qualified: QualifiedThresholds = QualifiedThresholds()


class BackOffice(Application[UUID]):
    """Every command of the back office. Its events go to ``backoffice_events``."""

    client_policy: ClientPolicy = ClientPolicy()
    surveillance_policy: SurveillancePolicy = SurveillancePolicy()

    name = "BackOffice"
    env: ClassVar[dict[str, str]] = {"IS_SNAPSHOTTING_ENABLED": "n"}

    @cached_property
    def _keeps_commands(self) -> bool:
        # Checked once: a runtime protocol check on every command costs more than the query.
        return isinstance(self.recorder, CommandLog)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(EnvelopeAsDict())
        transcoder.register(DateAsISO())

    # -- plumbing shared by every use case -----------------------------------------------

    def _authorize(self, cmd: Command, permission: Permission) -> Envelope:
        role = granting_role(cmd.actor_roles, permission)
        if role is None:
            allowed = ", ".join(sorted(roles_with(permission)))
            raise NotAllowed(f"{permission.value} needs one of the roles: {allowed}")
        return cmd.envelope(role)

    def _load(self, cls: type[A], aggregate_id: UUID, cmd: Command) -> A:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"{cls.__name__.lower()} {aggregate_id} not found") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{cls.__name__.lower()} {aggregate_id} not found")
        if cmd.expected_version is not None and cmd.expected_version != aggregate.version:
            raise ConcurrencyConflict(
                f"{cls.__name__.lower()} {aggregate_id} is at version {aggregate.version}, "
                f"not {cmd.expected_version}",
                expected=cmd.expected_version,
                actual=aggregate.version,
            )
        return aggregate

    def _replay(self, cmd: Command, name: str) -> CommandResult | None:
        if cmd.idempotency_key is None:
            return None
        if not self._keeps_commands:
            raise ValidationError("this store does not keep idempotency keys", "idempotencyKey")
        found = cast(CommandLog, self.recorder).find_command(cmd.idempotency_key)
        if found is None:
            return None
        record, position = found
        if record.command != name or record.actor != cmd.actor:
            raise ValidationError(
                "idempotency key was already used for a different command", "idempotencyKey"
            )
        return CommandResult(record.aggregate_id, record.aggregate_version, position, True)

    def _run(
        self,
        cmd: Command,
        name: str,
        decide: Callable[[], Aggregate | list[Aggregate]],
    ) -> CommandResult:
        """Run one command: replay it if its key was seen, else decide and save once.

        ``decide`` returns the command's aggregate, or a list whose first element is the one the
        command is about and whose others are saved in the same transaction (uniqueness claims).
        """
        replayed = self._replay(cmd, name)
        if replayed is not None:
            return replayed
        decided = decide()
        aggregates = decided if isinstance(decided, list) else [decided]
        aggregate = aggregates[0]
        kwargs: dict[str, Any] = {}
        if cmd.idempotency_key is not None:
            kwargs["command_record"] = CommandRecord(
                cmd.idempotency_key, name, cmd.actor, aggregate.id, aggregate.version
            )
        try:
            recordings = self.save(*aggregates, **kwargs)
        except IntegrityError:
            # Either a retry with the same key won the race, or another writer took the version.
            replayed = self._replay(cmd, name)
            if replayed is not None:
                return replayed
            raise ConcurrencyConflict(
                f"{type(aggregate).__name__.lower()} {aggregate.id} was changed concurrently",
                expected=cmd.expected_version,
                actual=None,
            ) from None
        position = max((r.notification.id for r in recordings), default=None)
        return CommandResult(aggregate.id, aggregate.version, position)

    # -- staff ---------------------------------------------------------------------------

    def register_staff(
        self, cmd: Command, *, staff_id: UUID, name: str, branch: str, roles: list[str]
    ) -> CommandResult:
        """Register a staff member."""
        envelope = self._authorize(cmd, Permission.MANAGE_STAFF)

        def decide() -> Aggregate:
            if self._exists(staff_id):
                raise ValidationError(f"staff {staff_id} already exists", "staffId")
            return Staff.register(envelope, staff_id, name, branch, roles)

        return self._run(cmd, "register_staff", decide)

    def grant_role(self, cmd: Command, *, staff_id: UUID, role: str) -> CommandResult:
        """Grant a role to a staff member."""
        return self._staff_command(cmd, "grant_role", staff_id, lambda s, e: s.grant_role(e, role))

    def revoke_role(self, cmd: Command, *, staff_id: UUID, role: str) -> CommandResult:
        """Revoke a role from a staff member."""
        return self._staff_command(
            cmd, "revoke_role", staff_id, lambda s, e: s.revoke_role(e, role)
        )

    def deactivate_staff(self, cmd: Command, *, staff_id: UUID) -> CommandResult:
        """Deactivate a staff member."""
        return self._staff_command(cmd, "deactivate_staff", staff_id, lambda s, e: s.deactivate(e))

    def issue_token(self, cmd: Command, *, staff_id: UUID, token_hash: str) -> CommandResult:
        """Record a bearer token (by its hash) for a staff member."""
        return self._staff_command(
            cmd, "issue_token", staff_id, lambda s, e: s.issue_token(e, token_hash)
        )

    def revoke_token(self, cmd: Command, *, staff_id: UUID, token_hash: str) -> CommandResult:
        """Withdraw a bearer token."""
        return self._staff_command(
            cmd, "revoke_token", staff_id, lambda s, e: s.revoke_token(e, token_hash)
        )

    def _staff_command(
        self,
        cmd: Command,
        name: str,
        staff_id: UUID,
        act: Callable[[Staff, Envelope], None],
    ) -> CommandResult:
        envelope = self._authorize(cmd, Permission.MANAGE_STAFF)

        def decide() -> Aggregate:
            staff = self._load(Staff, staff_id, cmd)
            act(staff, envelope)
            return staff

        return self._run(cmd, name, decide)

    # -- clients -------------------------------------------------------------------------

    def _client_change(
        self,
        cmd: Command,
        name: str,
        permission: Permission,
        client_id: UUID,
        act: Callable[[Client, Envelope], object],
    ) -> CommandResult:
        envelope = self._authorize(cmd, permission)

        def decide() -> Aggregate:
            client = self._load(Client, client_id, cmd)
            self._require_branch(cmd, client.branch)
            act(client, envelope)
            return client

        return self._run(cmd, name, decide)

    def _require_branch(self, cmd: Command, branch: str) -> None:
        if (
            cmd.branch_id != branch
            and granting_role(cmd.actor_roles, Permission.VIEW_ALL_BRANCHES) is None
        ):
            raise NotAllowed(f"records of branch {branch} are not open to branch {cmd.branch_id}")

    def register_client(
        self,
        cmd: Command,
        *,
        client_id: UUID,
        client_type: str,
        name: str,
        source_channel: str,
        account_manager: UUID,
        branch: str | None = None,
    ) -> CommandResult:
        """Register a prospect of the acting staff member's branch (or a named one)."""
        envelope = self._authorize(cmd, Permission.MAINTAIN_CLIENTS)
        target = parse_branch(branch) if branch else cmd.branch_id
        self._require_branch(cmd, target)

        def decide() -> Aggregate:
            if self._exists(client_id):
                raise ValidationError(f"client {client_id} already exists", "clientId")
            manager = self._staff_or_none(account_manager)
            if (
                manager is None
                or not manager.active
                or not ({Role.ACCOUNT_MANAGER.value, Role.MARKETING.value} & set(manager.roles))
            ):
                raise ValidationError(
                    "account manager must be an active account manager or marketing staff member",
                    "accountManager",
                )
            return Client.register(
                envelope, client_id, client_type, name, source_channel, account_manager, target
            )

        return self._run(cmd, "register_client", decide)

    def record_identity(
        self,
        cmd: Command,
        *,
        client_id: UUID,
        real_name: str,
        document_type: str,
        document_number: str,
    ) -> CommandResult:
        """Record the verified real-name identity."""
        return self._client_change(
            cmd,
            "record_identity",
            Permission.MAINTAIN_CLIENTS,
            client_id,
            lambda c, e: c.record_identity(e, real_name, document_type, document_number),
        )

    def record_contact(
        self,
        cmd: Command,
        *,
        client_id: UUID,
        mobile: str | None,
        landline: str | None,
        id_address: str,
        mailing_address: str,
    ) -> CommandResult:
        """Record phones and addresses."""
        return self._client_change(
            cmd,
            "record_contact",
            Permission.MAINTAIN_CLIENTS,
            client_id,
            lambda c, e: c.record_contact(e, mobile, landline, id_address, mailing_address),
        )

    def assess_risk(
        self, cmd: Command, *, client_id: UUID, level: str, assessed_on: date | None = None
    ) -> CommandResult:
        """Record a risk assessment (valid for the policy's number of months)."""
        months = self.client_policy.risk_validity_months
        return self._client_change(
            cmd,
            "assess_risk",
            Permission.MAINTAIN_CLIENTS,
            client_id,
            lambda c, e: c.assess_risk(e, level, assessed_on or e.today, months),
        )

    def classify_investor(
        self,
        cmd: Command,
        *,
        client_id: UUID,
        classification: str,
        financial_assets: Decimal | None = None,
        average_income: Decimal | None = None,
        experience_years: int = 0,
        net_assets: Decimal | None = None,
    ) -> CommandResult:
        """Classify the investor ordinary or professional."""
        thresholds = self.client_policy.classification
        return self._client_change(
            cmd,
            "classify_investor",
            Permission.MAINTAIN_CLIENTS,
            client_id,
            lambda c, e: c.classify_investor(
                e,
                classification,
                financial_assets,
                average_income,
                experience_years,
                net_assets,
                thresholds,
            ),
        )

    def assess_qualified_investor(
        self,
        cmd: Command,
        *,
        client_id: UUID,
        evidence_ref: str,
        family_financial_assets: Decimal | None = None,
        net_assets: Decimal | None = None,
    ) -> CommandResult:
        """Record a qualified-investor assessment."""
        thresholds = self.client_policy.qualified
        return self._client_change(
            cmd,
            "assess_qualified_investor",
            Permission.MAINTAIN_CLIENTS,
            client_id,
            lambda c, e: (
                None
                if c.assess_qualified_investor(
                    e, family_financial_assets, net_assets, evidence_ref, thresholds
                )
                else None
            ),
        )

    def add_beneficial_owner(
        self,
        cmd: Command,
        *,
        client_id: UUID,
        name: str,
        document_type: str,
        document_number: str,
        share: Decimal,
    ) -> CommandResult:
        """Record a beneficial owner."""
        return self._client_change(
            cmd,
            "add_beneficial_owner",
            Permission.MAINTAIN_CLIENTS,
            client_id,
            lambda c, e: c.add_beneficial_owner(e, name, document_type, document_number, share),
        )

    def sign_agreement(
        self,
        cmd: Command,
        *,
        client_id: UUID,
        agreement_type: str,
        version: str,
        signed_on: date | None = None,
    ) -> CommandResult:
        """Record a signed agreement."""
        return self._client_change(
            cmd,
            "sign_agreement",
            Permission.MAINTAIN_CLIENTS,
            client_id,
            lambda c, e: c.sign_agreement(e, agreement_type, version, signed_on or e.today),
        )

    def open_account(self, cmd: Command, *, client_id: UUID, account_number: str) -> CommandResult:
        """Open the client's account; the number is unique within the branch."""
        envelope = self._authorize(cmd, Permission.MAINTAIN_CLIENTS)

        def decide() -> list[Aggregate]:
            client = self._load(Client, client_id, cmd)
            self._require_branch(cmd, client.branch)
            client.open_account(envelope, account_number)
            claim_id = account_claim_id(client.branch, account_number)
            if self._exists(claim_id):
                raise ValidationError(
                    f"account number {account_number} is taken in branch {client.branch}",
                    "accountNumber",
                )
            # Saved with the client: a concurrent claim on the same number fails on the key.
            claim = AccountNumberClaim(
                envelope=envelope,
                claim_id=claim_id,
                branch=client.branch,
                account_number=account_number,
                client_id=client.id,
            )
            return [client, claim]

        return self._run(cmd, "open_account", decide)

    def request_identity_change(
        self,
        cmd: Command,
        *,
        client_id: UUID,
        request_id: UUID,
        evidence_ref: str,
        real_name: str | None = None,
        document_type: str | None = None,
        document_number: str | None = None,
    ) -> CommandResult:
        """Request a change of name or document (applies only once a supervisor approves)."""
        return self._client_change(
            cmd,
            "request_identity_change",
            Permission.MAINTAIN_CLIENTS,
            client_id,
            lambda c, e: c.request_identity_change(
                e, request_id, real_name, document_type, document_number, evidence_ref
            ),
        )

    def approve_identity_change(
        self, cmd: Command, *, client_id: UUID, request_id: UUID
    ) -> CommandResult:
        """Approve a pending identity change (a supervisor other than the requester)."""
        return self._client_change(
            cmd,
            "approve_identity_change",
            Permission.SUPERVISE_CLIENTS,
            client_id,
            lambda c, e: c.approve_identity_change(e, request_id),
        )

    def reject_identity_change(
        self, cmd: Command, *, client_id: UUID, request_id: UUID
    ) -> CommandResult:
        """Reject a pending identity change, with a reason."""
        return self._client_change(
            cmd,
            "reject_identity_change",
            Permission.SUPERVISE_CLIENTS,
            client_id,
            lambda c, e: c.reject_identity_change(e, request_id),
        )

    def freeze_client(self, cmd: Command, *, client_id: UUID) -> CommandResult:
        """Freeze a client (reason required)."""
        return self._client_change(
            cmd,
            "freeze_client",
            Permission.SUPERVISE_CLIENTS,
            client_id,
            lambda c, e: c.freeze(e),
        )

    def unfreeze_client(self, cmd: Command, *, client_id: UUID) -> CommandResult:
        """Unfreeze a client (reason required)."""
        return self._client_change(
            cmd,
            "unfreeze_client",
            Permission.SUPERVISE_CLIENTS,
            client_id,
            lambda c, e: c.unfreeze(e),
        )

    def close_client(
        self, cmd: Command, *, client_id: UUID, ended_on: date | None = None
    ) -> CommandResult:
        """Close the relationship."""
        return self._client_change(
            cmd,
            "close_client",
            Permission.SUPERVISE_CLIENTS,
            client_id,
            lambda c, e: c.close(e, ended_on or e.today),
        )

    def grant_trading_permission(
        self, cmd: Command, *, client_id: UUID, board: str
    ) -> CommandResult:
        """Allow a client to trade on ChiNext, STAR or the BSE."""
        return self._client_change(
            cmd,
            "grant_trading_permission",
            Permission.MAINTAIN_CLIENTS,
            client_id,
            lambda c, e: c.grant_trading_permission(e, board),
        )

    def request_erasure(self, cmd: Command, *, client_id: UUID, channel: str) -> CommandResult:
        """Record a client's erasure request; during retention it restricts processing."""
        return self._client_change(
            cmd,
            "request_erasure",
            Permission.MAINTAIN_CLIENTS,
            client_id,
            lambda c, e: c.request_erasure(e, channel),
        )

    # -- retention -------------------------------------------------------------------------

    def set_retention_presets(self, cmd: Command, *, presets: list[str]) -> CommandResult | None:
        """Adopt the retention presets in force (longest wins); None when already in force."""
        envelope = self._authorize(cmd, Permission.MANAGE_RETENTION)
        chosen = parse_presets(presets)
        existing = self._aggregate_or_none(POLICY_ID)
        if existing is None:
            policy = RetentionPolicy(envelope=envelope, policy_id=POLICY_ID, presets=chosen)
        else:
            assert isinstance(existing, RetentionPolicy)
            policy = existing
            if not policy.change(envelope, chosen):
                return None
        return self._run(cmd, "set_retention_presets", lambda: policy)

    def place_legal_hold(self, cmd: Command, *, subject_id: UUID) -> CommandResult:
        """Suspend every retention clock of a client or record (a reason is required)."""
        envelope = self._authorize(cmd, Permission.LEGAL_HOLD)
        if not cmd.reason or not cmd.reason.strip():
            raise ValidationError("a legal hold needs a reason", "reason")

        def decide() -> Aggregate:
            if not self._exists(subject_id):
                raise NotFound(f"no record {subject_id}")
            hold = self._aggregate_or_none(hold_id(subject_id))
            if hold is None:
                return LegalHold(
                    envelope=envelope, hold_id=hold_id(subject_id), subject_id=subject_id
                )
            assert isinstance(hold, LegalHold)
            hold.place_again(envelope)
            return hold

        return self._run(cmd, "place_legal_hold", decide)

    def lift_legal_hold(self, cmd: Command, *, subject_id: UUID) -> CommandResult:
        """Lift a legal hold (a reason is required)."""
        envelope = self._authorize(cmd, Permission.LEGAL_HOLD)
        if not cmd.reason or not cmd.reason.strip():
            raise ValidationError("lifting a hold needs a reason", "reason")

        def decide() -> Aggregate:
            hold = self._aggregate_or_none(hold_id(subject_id))
            if not isinstance(hold, LegalHold):
                raise ValidationError("no hold is in place", "subjectId")
            hold.lift(envelope)
            return hold

        return self._run(cmd, "lift_legal_hold", decide)

    # -- signing keys --------------------------------------------------------------------

    def publish_signing_key(
        self, cmd: Command, *, key_id: str, public_key: str
    ) -> CommandResult | None:
        """Publish a signing key's public half; None when it is already published."""
        envelope = self._authorize(cmd, Permission.MANAGE_SIGNING_KEYS)
        if self._exists(signing_key_id(key_id)):
            return None
        return self._run(
            cmd, "publish_signing_key", lambda: SigningKey.publish(envelope, key_id, public_key)
        )

    def retire_signing_key(self, cmd: Command, *, key_id: str) -> CommandResult:
        """Retire a signing key: nothing recorded after this may carry its signature."""
        envelope = self._authorize(cmd, Permission.MANAGE_SIGNING_KEYS)

        def decide() -> Aggregate:
            key = self._load(SigningKey, signing_key_id(key_id), cmd)
            key.retire(envelope)
            return key

        return self._run(cmd, "retire_signing_key", decide)

    # -- instruments ---------------------------------------------------------------------

    def upsert_instrument(
        self,
        cmd: Command,
        *,
        code: str,
        name: str,
        board: str,
        risk_level: str,
        board_lot: int,
        status: str = "listed",
        restricted: bool = False,
    ) -> CommandResult | None:
        """List an instrument, or revise it to these values; None when nothing changed."""
        envelope = self._authorize(cmd, Permission.MANAGE_INSTRUMENTS)
        existing = self._aggregate_or_none(instrument_id(parse_code(code)))
        if existing is None:
            instrument = Instrument.list(envelope, code, name, board, risk_level, board_lot)
            instrument.set_status(envelope, status)
            instrument.set_restricted(envelope, restricted)
        else:
            assert isinstance(existing, Instrument)
            instrument = existing
            changed = [
                instrument.revise(envelope, name, board, risk_level, board_lot),
                instrument.set_status(envelope, status),
                instrument.set_restricted(envelope, restricted),
            ]
            if not any(changed):
                return None
        return self._run(cmd, "upsert_instrument", lambda: instrument)

    def get_instrument(self, code: str) -> Instrument:
        """An instrument by code."""
        found = self._aggregate_or_none(instrument_id(parse_code(code)))
        if not isinstance(found, Instrument):
            raise NotFound(f"instrument {code} not in the catalogue")
        return found

    # -- orders --------------------------------------------------------------------------

    def receive_order(
        self,
        cmd: Command,
        *,
        order_id: UUID,
        client_id: UUID,
        account_number: str,
        instrument_code: str,
        side: str,
        quantity: int,
        order_type: str,
        limit_price: Decimal | None,
        channel: str,
        received_at: datetime,
        acting_person: str | None = None,
        cancellations_today: int = 0,
        received_on: date | None = None,
    ) -> CommandResult:
        """Take a client's instruction; abnormal-trade rules may flag it to risk management.

        ``cancellations_today`` is the client's cancellations so far that day, read by the edge
        from the order read model (the domain does not query read models); ``received_on`` is
        the branch's date at ``received_at`` (default: the command's business date).
        """
        envelope = self._authorize(cmd, Permission.TAKE_ORDERS)

        def decide() -> Aggregate:
            if self._exists(order_id):
                raise ValidationError(f"order {order_id} already exists", "orderId")
            client = self._aggregate_or_none(client_id)
            if not isinstance(client, Client):
                raise ValidationError(f"client {client_id} not found", "clientId")
            self._require_branch(cmd, client.branch)
            try:
                instrument = self.get_instrument(instrument_code)
            except NotFound as exc:
                raise ValidationError(exc.message, "instrumentCode") from None
            day = received_on or envelope.today
            terms = _terms(
                account_number,
                side,
                quantity,
                order_type,
                limit_price,
                day,
                False,
            )
            flags = abnormal_rules(
                terms,
                _client_facts(client),
                _instrument_facts(instrument),
                cancellations_today,
                self.surveillance_policy,
            )
            return Order.receive(
                envelope,
                order_id,
                client_id,
                client.branch,
                account_number,
                instrument.code,
                side,
                quantity,
                order_type,
                limit_price,
                channel,
                received_at,
                day,
                acting_person,
                flags,
            )

        return self._run(cmd, "receive_order", decide)

    def _order_change(
        self,
        cmd: Command,
        name: str,
        permission: Permission,
        order_id: UUID,
        act: Callable[[Order, Envelope], object],
    ) -> CommandResult:
        envelope = self._authorize(cmd, permission)

        def decide() -> Aggregate | list[Aggregate]:
            order = self._load(Order, order_id, cmd)
            self._require_branch(cmd, order.branch)
            extra = act(order, envelope)
            return [order, *extra] if isinstance(extra, list) else order

        return self._run(cmd, name, decide)

    def acknowledge_risk_disclosure(
        self, cmd: Command, *, order_id: UUID, warning_ref: str, signed_at: datetime
    ) -> CommandResult:
        """Record the client's signed acknowledgement of the risk warning for an order."""
        return self._order_change(
            cmd,
            "acknowledge_risk_disclosure",
            Permission.TAKE_ORDERS,
            order_id,
            lambda o, e: o.acknowledge_risk_disclosure(e, warning_ref, signed_at),
        )

    def review_order(
        self, cmd: Command, *, order_id: UUID, reject_codes: list[str] | None = None
    ) -> CommandResult:
        """A trader reviews the order: every check runs and is recorded; any failure, or a
        reviewer's own reason code, makes it a rejection."""

        def review(order: Order, envelope: Envelope) -> None:
            client = self._aggregate_or_none(order.client_id)
            if not isinstance(client, Client):
                raise NotFound(f"client {order.client_id} not found")
            instrument = self.get_instrument(order.instrument_code)
            terms = _terms(
                order.account_number,
                order.side,
                order.quantity,
                order.order_type,
                order.limit_price,
                order.received_on,
                order.risk_acknowledged,
            )
            checks = review_checks(terms, _client_facts(client), _instrument_facts(instrument))
            order.review(
                envelope, checks, reject_codes or [], instrument.risk_level, client.risk_level
            )

        return self._order_change(cmd, "review_order", Permission.REVIEW_ORDERS, order_id, review)

    def record_fill(
        self,
        cmd: Command,
        *,
        order_id: UUID,
        execution_id: str,
        quantity: int,
        price: Decimal,
        executed_at: datetime,
    ) -> CommandResult:
        """Record an execution; an execution id is applied once across all orders."""

        def fill(order: Order, envelope: Envelope) -> list[Aggregate]:
            order.record_fill(envelope, execution_id, quantity, price, executed_at)
            claim_id = execution_claim_id(execution_id.strip())
            if self._exists(claim_id):
                raise ValidationError(
                    f"execution {execution_id} is already applied to another order", "executionId"
                )
            return [
                ExecutionClaim(
                    envelope=envelope,
                    claim_id=claim_id,
                    execution_id=execution_id.strip(),
                    order_id=order.id,
                )
            ]

        return self._order_change(cmd, "record_fill", Permission.REVIEW_ORDERS, order_id, fill)

    def cancel_order(self, cmd: Command, *, order_id: UUID, cause: str) -> CommandResult:
        """Cancel the unfilled remainder (cause: client_request, error or expired)."""
        return self._order_change(
            cmd,
            "cancel_order",
            Permission.TAKE_ORDERS,
            order_id,
            lambda o, e: o.cancel(e, cause),
        )

    def record_order_feedback(
        self, cmd: Command, *, order_id: UUID, channel: str, fed_back_at: datetime
    ) -> CommandResult:
        """Record that the result was reported to the client."""
        return self._order_change(
            cmd,
            "record_order_feedback",
            Permission.TAKE_ORDERS,
            order_id,
            lambda o, e: o.feed_back(e, channel, fed_back_at),
        )

    def archive_order(self, cmd: Command, *, order_id: UUID) -> CommandResult:
        """Archive a final, reported order."""
        return self._order_change(
            cmd, "archive_order", Permission.TAKE_ORDERS, order_id, lambda o, e: o.archive(e)
        )

    def clear_order_flag(self, cmd: Command, *, order_id: UUID, note: str) -> CommandResult:
        """Risk management clears a flag."""
        return self._order_change(
            cmd,
            "clear_order_flag",
            Permission.DECIDE_FLAGS,
            order_id,
            lambda o, e: o.clear_flag(e, note),
        )

    def escalate_order_flag(self, cmd: Command, *, order_id: UUID, note: str) -> CommandResult:
        """Risk management escalates a flag."""
        return self._order_change(
            cmd,
            "escalate_order_flag",
            Permission.DECIDE_FLAGS,
            order_id,
            lambda o, e: o.escalate_flag(e, note),
        )

    def get_order(self, order_id: UUID) -> Order:
        """An order as recorded (for tests and tools)."""
        found = self._aggregate_or_none(order_id)
        if not isinstance(found, Order):
            raise NotFound(f"order {order_id} not found")
        return found

    def get_client(self, client_id: UUID) -> Client:
        """A client as recorded (for tests and tools; the API reads projections)."""
        client = self._aggregate_or_none(client_id)
        if not isinstance(client, Client):
            raise NotFound(f"client {client_id} not found")
        return client

    def _staff_or_none(self, staff_id: UUID) -> Staff | None:
        found = self._aggregate_or_none(staff_id)
        return found if isinstance(found, Staff) else None

    def _aggregate_or_none(self, aggregate_id: UUID) -> Aggregate | None:
        try:
            found: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def get_staff(self, staff_id: UUID) -> Staff:
        """A staff member as recorded (for the CLI and tests; the API reads projections)."""
        staff = self._staff_or_none(staff_id)
        if staff is None:
            raise NotFound(f"staff {staff_id} not found")
        return staff


def _terms(
    account_number: str,
    side: str,
    quantity: int,
    order_type: str,
    limit_price: Decimal | None,
    received_on: date,
    acknowledged: bool,
) -> OrderTerms:
    return OrderTerms(
        account_number=account_number.strip(),
        side=side.strip().lower(),
        quantity=quantity,
        order_type=order_type.strip().lower(),
        limit_price=limit_price,
        received_on=received_on,
        risk_acknowledged=acknowledged,
    )


def _client_facts(client: Client) -> ClientFacts:
    return ClientFacts(
        status=client.status,
        identity_verified=client.identity_verified,
        risk_level=client.risk_level,
        risk_expires_on=client.risk_expires_on,
        investor_class=client.classification,
        trading_permissions=frozenset(client.trading_permissions),
        account_number=client.account_number,
        declared_assets=client.declared_assets,
    )


def _instrument_facts(instrument: Instrument) -> InstrumentFacts:
    return InstrumentFacts(
        code=instrument.code,
        board=instrument.board,
        risk_level=instrument.risk_level,
        board_lot=instrument.board_lot,
        status=instrument.status,
        restricted=instrument.restricted,
    )
