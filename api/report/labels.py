"""The words a regulator reads for the codes the system stores: every stored code has a
label here, marked for the catalogue; an unknown code is shown as it is, never dropped."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from api.report.i18n import N_

Gettext = Callable[[str], str]

SIDES = {"buy": N_("buy"), "sell": N_("sell")}
ORDER_TYPES = {"limit": N_("limit order"), "market": N_("market order")}
CHANNELS = {"counter": N_("counter"), "phone": N_("telephone"), "online": N_("online")}
ORDER_STATUSES = {
    "received": N_("received, awaiting review"),
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "partially_filled": N_("partially filled"),
    "filled": N_("filled"),
    "cancelled": N_("cancelled"),
    "archived": N_("archived"),
}
FLAG_STATUSES = {
    "none": N_("not flagged"),
    "open": N_("flagged, awaiting risk management"),
    "cleared": N_("cleared by risk management"),
    "escalated": N_("escalated by risk management"),
}
CANCEL_CAUSES = {
    "client_request": N_("at the client's request"),
    "error": N_("entry error"),
    "expired": N_("expired"),
}
CLIENT_TYPES = {"individual": N_("individual"), "institution": N_("institution")}
CLIENT_STATUSES = {
    "prospect": N_("prospect (no account)"),
    "active": N_("active"),
    "frozen": N_("frozen"),
    "closed": N_("closed"),
}
SOURCE_CHANNELS = {
    "phone": N_("telephone"),
    "online": N_("online"),
    "referral": N_("referral"),
    "walk_in": N_("walk-in"),
    "event": N_("event"),
}
DOCUMENT_TYPES = {
    "resident_id": N_("PRC resident identity card"),
    "resident_id_legacy": N_("PRC resident identity card (15-digit)"),
    "passport": N_("passport"),
    "hk_macau_permit": N_("Mainland travel permit for Hong Kong and Macao residents"),
    "taiwan_permit": N_("Mainland travel permit for Taiwan residents"),
    "uscc": N_("unified social credit code"),
    "business_licence": N_("business licence"),
}
INVESTOR_CLASSES = {
    "ordinary": N_("ordinary investor"),
    "professional": N_("professional investor"),
}
AGREEMENTS = {
    "client_agreement": N_("securities trading agency agreement"),
    "risk_disclosure": N_("risk disclosure statement"),
    "online_trading": N_("online trading agreement"),
    "privacy_notice": N_("personal information notice"),
}
BOARDS = {
    "main": N_("main board"),
    "chinext": N_("ChiNext"),
    "star": N_("STAR Market"),
    "bse": N_("Beijing Stock Exchange"),
    "bond": N_("bonds"),
    "fund": N_("funds"),
}
INSTRUMENT_STATUSES = {
    "listed": N_("listed"),
    "suspended": N_("suspended"),
    "delisted": N_("delisted"),
}
ROLES = {
    "marketing": N_("marketing"),
    "account_manager": N_("account manager"),
    "trader": N_("trader"),
    "customer_service": N_("customer service"),
    "risk": N_("risk management"),
    "finance": N_("finance"),
    "department_head": N_("department head"),
    "branch_manager": N_("branch manager"),
    "head_office": N_("head office"),
    "auditor": N_("auditor"),
    "regulator": N_("regulator"),
    "admin": N_("administrator"),
    "system": N_("system (operator command line)"),
}
ABNORMAL_RULES = {
    "NOTIONAL_ABOVE_ASSETS": N_("order value far above the client's declared assets"),
    "EXCESSIVE_CANCELLATIONS": N_("frequent cancellations on the day"),
    "RESTRICTED_INSTRUMENT": N_("instrument on the restricted list"),
}
#: Each review check, named for what it verifies (its stored code names the failure).
CHECKS = {
    "CLIENT_NOT_ACTIVE": N_("Client account is open"),
    "CLIENT_FROZEN": N_("Client account is not frozen"),
    "IDENTITY_NOT_VERIFIED": N_("Client identity is verified"),
    "ACCOUNT_MISMATCH": N_("Order account is the client's account"),
    "RISK_ASSESSMENT_NOT_CURRENT": N_("Client risk assessment is current"),
    "SUITABILITY_NOT_ACKNOWLEDGED": N_(
        "Suitability: product risk within the investor's level, or risk warning signed"
    ),
    "SUITABILITY_C1_ABOVE_R1": N_("Suitability: a C1 investor is offered R1 products only"),
    "BOARD_NOT_PERMITTED": N_("Client holds the trading permission for the board"),
    "BOARD_LOT": N_("Quantity is in whole board lots"),
    "LIMIT_PRICE_INVALID": N_("Price is valid for the order type"),
    "INSTRUMENT_NOT_TRADABLE": N_("Instrument is tradable"),
}
#: Why an order was rejected: the failed checks, and the reviewer's own reasons.
REJECTION_REASONS = {
    "CLIENT_NOT_ACTIVE": N_("client account not open"),
    "CLIENT_FROZEN": N_("client account frozen"),
    "IDENTITY_NOT_VERIFIED": N_("client identity not verified"),
    "ACCOUNT_MISMATCH": N_("order account is not the client's"),
    "RISK_ASSESSMENT_NOT_CURRENT": N_("risk assessment expired or missing"),
    "SUITABILITY_NOT_ACKNOWLEDGED": N_("product above the investor's level, no signed warning"),
    "SUITABILITY_C1_ABOVE_R1": N_("product above R1 for a C1 investor"),
    "BOARD_NOT_PERMITTED": N_("no trading permission for the board"),
    "BOARD_LOT": N_("quantity not in whole board lots"),
    "LIMIT_PRICE_INVALID": N_("invalid price"),
    "INSTRUMENT_NOT_TRADABLE": N_("instrument not tradable"),
    "PRICE_SANITY": N_("price implausible (reviewer)"),
    "INSTRUCTION_UNCLEAR": N_("instruction unclear (reviewer)"),
    "OTHER": N_("other reason (reviewer)"),
}
EVENTS = {
    "Order.Received": N_("Order received"),
    "Order.Flagged": N_("Flagged to risk management"),
    "Order.FlagCleared": N_("Flag cleared by risk management"),
    "Order.FlagEscalated": N_("Flag escalated by risk management"),
    "Order.RiskDisclosureAcknowledged": N_("Client signed the risk warning"),
    "Order.Reviewed": N_("Order reviewed"),
    "Order.Filled": N_("Execution (fill)"),
    "Order.Cancelled": N_("Remainder cancelled"),
    "Order.FedBack": N_("Result reported to the client"),
    "Order.Archived": N_("Order file archived"),
}


def label(_: Gettext, table: Mapping[str, str], code: str | None) -> str:
    """The translated label of ``code``; the code itself when it has none; "—" for None."""
    if code is None or code == "":
        return "—"
    found = table.get(code)
    return _(found) if found is not None else code


def yes_no(_: Gettext, value: object) -> str:
    """是/否 for a stored boolean, "—" when unknown."""
    if value is None:
        return "—"
    return _("yes") if value else _("no")
