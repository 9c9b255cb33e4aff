"""Events: the list with filters, an event with its seats, registering,
cancelling, the waitlist, the calendar file; organizers create and cancel."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from web import dates, labels
from web.context import Ctx, member, organizer
from web.gateway import GatewayProblem
from web.pages.common import agencies, seg, text, topic_labels, topics, values
from web.problems import FormErrors, form_errors

router = APIRouter()
EVENT_FIELDS = {"title", "description", "kind", "starts_at", "ends_at", "location", "online_url", "capacity",
                "agency_code", "topics"}


@router.get("/evenements")
async def list_events(ctx: Ctx = Depends(member), type: str = "", theme: str = "", agence: str = "",
                      du: str = "", apres: str | None = None) -> Response:
    start = dates.from_local_input(du + "T00:00") if du else None
    page = await ctx.get("/v1/events", kind=type if type in labels.EVENT_KINDS else None, topic=theme or None,
                         agency=agence or None, cursor=apres,
                         **({"from": start.isoformat()} if start else {}))
    return await ctx.render("events/list.html", events=page["items"], next_cursor=page.get("next_cursor"),
                            filters={"type": type, "theme": theme, "agence": agence, "du": du},
                            all_topics=await topics(ctx), all_agencies=await agencies(ctx))


@router.get("/mes-evenements")
async def my_events(ctx: Ctx = Depends(member)) -> Response:
    page = await ctx.get("/v1/me/events", limit=50)
    return await ctx.render("events/mine.html", registrations=page["items"])


@router.get("/evenements/nouveau")
async def new_event_form(ctx: Ctx = Depends(organizer)) -> Response:
    return await ctx.render("events/edit.html", form={"capacity": "20", "agency_code": ctx.user.get("agency_code") or ""},
                            all_topics=await topics(ctx), all_agencies=await agencies(ctx))


@router.post("/evenements/nouveau")
async def create_event(ctx: Ctx = Depends(organizer)) -> Response:
    form = await ctx.form()
    errors = FormErrors()
    starts, ends = dates.from_local_input(text(form, "starts_at")), dates.from_local_input(text(form, "ends_at"))
    capacity = text(form, "capacity")
    for name, message in (("title", "Donnez un titre."), ("description", "Décrivez l'événement.")):
        if not text(form, name):
            errors.add(name, message)
    if starts is None:
        errors.add("starts_at", "Indiquez la date et l'heure de début.")
    if ends is None:
        errors.add("ends_at", "Indiquez la date et l'heure de fin.")
    if not capacity.isdigit() or int(capacity) < 1:
        errors.add("capacity", "Indiquez un nombre de places (1 ou plus).")
    kind = text(form, "kind")
    if kind not in labels.EVENT_KINDS:
        errors.add("kind", "Choisissez le type d'événement.")
    if not errors:
        body = {
            "title": text(form, "title"), "description": text(form, "description"), "kind": kind,
            "starts_at": starts.isoformat(), "ends_at": ends.isoformat(), "capacity": int(capacity),
            "topics": [str(t) for t in form.getlist("topics")],
        }
        for optional in ("location", "online_url", "agency_code"):
            if text(form, optional):
                body[optional] = text(form, optional)
        try:
            created = await ctx.post("/v1/events", body, creates=True)
            return ctx.redirect(f"/evenements/{created['id']}", "L'événement est enregistré : il sera visible des "
                                                                "membres après la vérification de ses textes.")
        except GatewayProblem as problem:
            errors = form_errors(problem.status, problem.problem, EVENT_FIELDS)
    errors.summary = errors.summary or "Certains champs sont à corriger."
    return await ctx.render("events/edit.html", status_code=400, form=values(form), errors=errors,
                            all_topics=await topics(ctx), all_agencies=await agencies(ctx))


@router.get("/evenements/{event_id}")
async def show_event(event_id: str, ctx: Ctx = Depends(member)) -> Response:
    event = await ctx.get(f"/v1/events/{seg(event_id)}")
    organizer_id = (event.get("organizer") or {}).get("id")
    is_organizer = bool(ctx.user and (organizer_id == ctx.user["id"] or ctx.role == "admin"))
    attendees = (await ctx.get(f"/v1/events/{event_id}/registrations", limit=100))["items"] if is_organizer else []
    past = (dates.parse(event["starts_at"]) or datetime.now(timezone.utc)) <= datetime.now(timezone.utc)
    return await ctx.render("events/show.html", event=event, is_organizer=is_organizer, attendees=attendees,
                            past=past, labels_by_slug=await topic_labels(ctx))


@router.post("/evenements/{event_id}/inscription")
async def register(event_id: str, ctx: Ctx = Depends(member)) -> Response:
    event_id = seg(event_id)
    await ctx.form()
    try:
        registration = await ctx.post(f"/v1/events/{event_id}/registrations", creates=True)
    except GatewayProblem as problem:
        if problem.status in (404, 403):
            raise
        errors = form_errors(problem.status, problem.problem)
        return ctx.redirect(f"/evenements/{event_id}", errors.summary)
    if registration.get("status") == "waitlisted":
        message = (f"L'événement est complet : vous êtes sur la liste d'attente, en position "
                   f"{registration.get('position')}. Vous serez prévenu si une place se libère.")
    else:
        message = "C'est noté : votre place est réservée."
    return ctx.redirect(f"/evenements/{event_id}", message)


@router.post("/evenements/{event_id}/desinscription")
async def unregister(event_id: str, ctx: Ctx = Depends(member)) -> Response:
    event_id = seg(event_id)
    await ctx.form()
    await ctx.delete(f"/v1/events/{event_id}/registrations/me")
    return ctx.redirect(f"/evenements/{event_id}", "Votre inscription est annulée. Votre place revient à une autre personne.")


@router.get("/evenements/{event_id}/calendrier.ics")
async def calendar(event_id: str, ctx: Ctx = Depends(member)) -> Response:
    answer = await ctx.call("GET", f"/v1/events/{seg(event_id)}/ics", raw=True)
    return Response(answer.content, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="evenement-{event_id}.ics"'})


@router.post("/evenements/{event_id}/annuler")
async def cancel(event_id: str, ctx: Ctx = Depends(organizer)) -> Response:
    event_id = seg(event_id)
    form = await ctx.form()
    reason = text(form, "reason")
    if len(reason) < 3:
        return ctx.redirect(f"/evenements/{event_id}#annuler",
                            "Pour annuler, indiquez la raison (elle est envoyée aux inscrits).")
    await ctx.post(f"/v1/events/{event_id}/cancel", {"reason": reason})
    return ctx.redirect(f"/evenements/{event_id}", "L'événement est annulé ; chaque inscrit est prévenu.")


@router.post("/evenements/{event_id}/presence")
async def attendance(event_id: str, ctx: Ctx = Depends(organizer)) -> Response:
    event_id = seg(event_id)
    form = await ctx.form()
    await ctx.post(f"/v1/events/{event_id}/attendance",
                   {"user_id": seg(text(form, "user_id")), "attended": text(form, "attended") == "oui"})
    return ctx.redirect(f"/evenements/{event_id}#inscrits", "La présence est enregistrée.")
