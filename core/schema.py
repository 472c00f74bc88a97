"""The served schema's last pass (drf-spectacular's POSTPROCESSING_HOOKS): every text the API
reads states that it holds no NUL, which the server refuses with a 400 ("不能含有空字符（NUL），
请删掉后再提交。") since PostgreSQL cannot store it. Texts with an enum, a format or a pattern of
their own already exclude it."""

NO_NUL = r"^[^\x00]*$"


def _no_nul(schema, components, seen):
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            _no_nul(components.get(name), components, seen)
        return
    if schema.get("type") == "string" and not ({"enum", "format", "pattern"} & set(schema)):
        schema["pattern"] = NO_NUL
    for key in ("items", "additionalProperties", "not"):
        _no_nul(schema.get(key), components, seen)
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, ()):
            _no_nul(part, components, seen)
    for part in schema.get("properties", {}).values():
        _no_nul(part, components, seen)


def texts_without_nul(result, generator, request, public):
    """What the server reads (parameters and request bodies) says that its texts hold no NUL."""
    components = result.get("components", {}).get("schemas", {})
    seen = set()
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", ()):
                _no_nul(parameter.get("schema"), components, seen)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _no_nul(media.get("schema"), components, seen)
    return result


def text_is_a_string():
    """DRF's text field reads a JSON number as its digits (`"explanation": 0.5` is "0.5"), which a
    schema's `type: string` does not say, and Schemathesis had to be told to let it pass. The API
    reads a text from a JSON string only; anything else is refused with DRF's own words ("不是有效的
    字符串。"). Forms and query strings send strings: nothing changes for them. Once, at start-up
    (CoreConfig.ready)."""
    from rest_framework.fields import CharField

    lenient = CharField.to_internal_value
    if getattr(lenient, "strings_only", False):
        return

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return lenient(self, data)

    to_internal_value.strings_only = True
    CharField.to_internal_value = to_internal_value
