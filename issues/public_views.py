"""The residents' pages: no login, nothing but `issues.public`'s explicit fields."""

import io

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.web import whole_number
from issues import public, ratelimit
from issues.models import Issue


class LookupForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Tracking code"), max_length=20, widget=forms.TextInput(attrs={
        "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "placeholder": "ABCD-EFGH-JK",
    }))
    phone_last4 = forms.CharField(label=gettext_lazy("Last four digits of your phone"), max_length=4, widget=(
        forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "pattern": "[0-9]{4}"})
    ))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)

    def clean_code(self):
        return public.clean_code(self.cleaned_data["code"])

    def clean_phone_last4(self):
        return public.clean_phone_last4(self.cleaned_data["phone_last4"])


class RatingForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    satisfaction = forms.ChoiceField(
        label=gettext_lazy("How satisfied are you with the answer?"), choices=Issue.Satisfaction.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"), required=False, max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def status_url(request, code):
    """The issue's public status page, as an absolute address: the receipt's QR code."""
    return request.build_absolute_uri(reverse("public-status", args=[public.status_token(code)]))


def _to_status(code):
    """After a lookup or a rating, the status page's own address: Back and reload work on it."""
    return redirect("public-status", public.status_token(code))


@never_cache
@require_safe
def status(request, token):
    """The status page behind its signed link (a receipt's QR code, or where a lookup leads)."""
    found = public.status_by_token(token)
    if found is None:
        raise Http404
    context = {"status": found}
    if found.can_rate:
        context["rating_form"] = RatingForm(initial={"token": public.rating_token(found.code)})
    return render(request, "public/status.html", context)


@require_safe
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
@require_http_methods(["GET", "HEAD", "POST"])
def lookup(request):
    """GET: the form. POST: on to the status page, or the form with the typo or the neutral answer."""
    form = LookupForm(request.POST if request.method == "POST" else None)
    if not form.is_valid():
        return render(request, "public/lookup.html", {"form": form})
    try:
        matched, block = public.guarded_match(**form.cleaned_data, address=ratelimit.client_address(request))
    except ratelimit.Unavailable:
        context = {"form": form, "error": ratelimit.UNAVAILABLE_MESSAGE}
        response = render(request, "public/lookup.html", context, status=503)
        response["Retry-After"] = str(ratelimit.UNAVAILABLE_RETRY_AFTER)
        return response
    if block is not None:
        response = render(request, "public/lookup.html", {"form": form, "error": block.message()}, status=429)
        response["Retry-After"] = str(block.retry_after)
        return response
    if not matched:
        return render(request, "public/lookup.html", {"form": form, "error": public.NOT_FOUND_MESSAGE})
    return _to_status(form.cleaned_data["code"])


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
    messages.success(request, message)
    return _to_status(status.code)


def _notice_or_404(pk):
    notice = public.village_notice(pk)
    if notice is None:
        raise Http404
    return notice


@require_safe
def village(request, pk):
    return render(request, "public/village.html", {"notice": _notice_or_404(pk)})


def qr_svg(url):
    """The QR code for `url` as inline SVG, made here: no outside service, no image library."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return mark_safe(svg[svg.index("<svg"):])


@require_safe
def village_card(request, pk):
    """联系卡: an A6 card to print and hand out, with a QR code that opens the notice."""
    notice = _notice_or_404(pk)
    url = request.build_absolute_uri(reverse("public-village", args=[pk]))
    return render(request, "public/card.html", {"notice": notice, "qr": qr_svg(url), "url": url})

