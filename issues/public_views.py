"""The residents' pages: no login, nothing but `issues.public`'s explicit fields."""

import functools
import io

import qrcode
import qrcode.image.svg
from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import CSRF_TOKEN_LENGTH, get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from issues import public, ratelimit
from issues.models import Issue
from teams.web import whole_number


# The templates write these forms' inputs by hand: rendering widgets through the form
# renderer would double the cost of the busiest public page.
class LookupForm(forms.Form):
    code = forms.CharField(max_length=20)
    phone_last4 = forms.CharField(max_length=4)

    def clean_code(self):
        return public.clean_code(self.cleaned_data["code"])

    def clean_phone_last4(self):
        return public.clean_phone_last4(self.cleaned_data["phone_last4"])


class RatingForm(forms.Form):
    token = forms.CharField()
    satisfaction = forms.ChoiceField(choices=Issue.Satisfaction.choices)
    comment = forms.CharField(required=False, max_length=300)


def _status_context(status, *, rating_token, message=""):
    context = {"status": status, "message": message}
    if status.can_rate:
        context.update(
            rating_token=rating_token,
            satisfaction_choices=[(value, str(label)) for value, label in Issue.Satisfaction.choices],
        )
    return context


def _render_status(request, status, *, message=""):
    return render(request, "public/status.html", _status_context(
        status, rating_token=public.rating_token(status.code), message=message,
    ))


# A kept page holds these marks where each visitor's own tokens go. They are raw HTML
# comments: text typed by anyone is escaped on the page and can never contain them.
CSRF_MARK = mark_safe("<!--csrf-token-->")
RATING_MARK = mark_safe("<!--rating-token-->")


def _page_csrf_token(request):
    """The CSRF token for the page's forms. This POST passed the CSRF check, so the masked token
    it carries was made for this visitor's own previous page: sending it back discloses nothing
    new, and spares masking a fresh one (32 random characters drawn one by one, the dearest
    step of a kept page)."""
    posted = request.POST.get("csrfmiddlewaretoken", "")
    if len(posted) == CSRF_TOKEN_LENGTH and posted.isascii() and posted.isalnum():
        return posted
    return get_token(request)


def _page_to_keep(request, status):
    """The status page with nothing of this visitor's in it: marks for the tokens, no messages."""
    context = _status_context(status, rating_token=RATING_MARK)
    context.update(csrf_token=CSRF_MARK, messages=())
    return render_to_string("public/status.html", context, request)


def _kept_page(request, found):
    """A kept status page with this visitor's own tokens filled in."""
    page = found.page.replace(CSRF_MARK, _page_csrf_token(request))
    if RATING_MARK in page:
        page = page.replace(RATING_MARK, public.rating_token(found.code))
    return HttpResponse(page)


@require_GET
def index(request):
    """The lookup form, then the villages' teams: towns first, a town's villages when one is
    chosen, or the villages matching a search."""
    query = request.GET.get("q", "").replace("\x00", "").strip()[:30]
    town = request.GET.get("town", "")
    town_id = whole_number(town)
    context = {"form": LookupForm(), "query": query}
    if query or town_id is not None:
        context["towns"] = public.village_index(query=query, town_id=town_id)
    else:
        context["town_links"] = public.town_index()
    return render(request, "public/index.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def lookup(request):
    """GET: the form. POST: the status page, or the form with the typo or the neutral answer."""
    if request.method != "POST":
        return render(request, "public/lookup.html", {"form": LookupForm()})
    try:
        # The form's own rules, without building the form: it is needed only to show an answer.
        code = public.clean_code(request.POST.get("code"))
        phone_last4 = public.clean_phone_last4(request.POST.get("phone_last4"))
    except ValidationError:
        form = LookupForm(request.POST)
        form.is_valid()
        return render(request, "public/lookup.html", {"form": form})
    # Residents get the page kept for everyone (see public_store); a logged-in official gets
    # it rendered with their own header.
    resident = not request.user.is_authenticated
    found, block = public.guarded_lookup(
        code=code, phone_last4=phone_last4, address=ratelimit.client_address(request),
        render=functools.partial(_page_to_keep, request) if resident else None,
    )
    if block is not None:
        response = render(
            request, "public/lookup.html", {"form": LookupForm(request.POST), "error": block.message()}, status=429
        )
        response["Retry-After"] = str(block.retry_after)
        return response
    if found is None:
        return render(
            request, "public/lookup.html", {"form": LookupForm(request.POST), "error": public.NOT_FOUND_MESSAGE}
        )
    return _kept_page(request, found) if resident else _render_status(request, found.status)


@never_cache
@require_POST
def rate(request):
    form = RatingForm(request.POST)
    if not form.is_valid():
        return render(request, "public/lookup.html", {"form": LookupForm(), "error": _(
            "Choose how satisfied you are with the answer, then send the rating again."
        )}, status=400)
    try:
        status, message = public.rate(
            token=form.cleaned_data["token"],
            satisfaction=form.cleaned_data["satisfaction"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        return render(
            request, "public/lookup.html", {"form": LookupForm(), "error": " ".join(error.messages)}, status=400
        )
    return _render_status(request, status, message=message)


def _notice_or_404(pk):
    notice = public.village_notice(pk)
    if notice is None:
        raise Http404
    return notice


@require_GET
def village(request, pk):
    return render(request, "public/village.html", {"notice": _notice_or_404(pk)})


def qr_svg(url):
    """The QR code for `url` as inline SVG, made here: no outside service, no image library."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return mark_safe(svg[svg.index("<svg"):])


@require_GET
def village_card(request, pk):
    """联系卡: an A6 card to print and hand out, with a QR code that opens the notice."""
    notice = _notice_or_404(pk)
    url = request.build_absolute_uri(reverse("public-village", args=[pk]))
    return render(request, "public/card.html", {"notice": notice, "qr": qr_svg(url), "url": url})


@require_GET
def statistics(request):
    year, rows = public.town_statistics()
    return render(request, "public/statistics.html", {"year": year, "rows": rows})
