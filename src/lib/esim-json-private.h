/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the core library: what the two JSON bindings share, the ES9+
 * binding (esim-es9p.c, SGP.22 §6.5) and the ESipa JSON binding
 * (esim-esipa-json.c, SGP.32 §6.4, which reuses SGP.22's conventions: binary
 * values as base64 of whole DER TLVs, transaction IDs as hex, the response
 * header with functionExecutionStatus).
 *
 * Every helper reports a malformed document in the caller's error @domain
 * with code 0: both ESIM_ES9P_ERROR_MALFORMED and ESIM_ESIPA_ERROR_MALFORMED
 * are 0, so each binding keeps its own domain without re-wrapping.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "esim-der.h"
#include "esim-es9p.h"

G_BEGIN_DECLS

#define ESIM_JSON_ERROR_MALFORMED 0

/* Answers nest a few levels deep; a deeper document is refused before
 * json-glib's recursive parser sees it (a hostile server cannot exhaust the
 * stack). */
#define ESIM_JSON_MAX_NESTING 16

/* The body as a JSON object: UTF-8 without NUL, nesting bounded, an object at
 * the root.  The object belongs to @parser. */
JsonObject  *esim_json_parse_root (JsonParser *parser, const gchar *body, gsize len, GQuark domain,
                                   GError **error);
/* A member that must be a string; NULL if absent (error set only when
 * @mandatory) or of another type (error set). */
const gchar *esim_json_get_string (JsonObject *object, const gchar *name, gboolean mandatory,
                                   GQuark domain, GError **error);
JsonObject  *esim_json_get_object (JsonObject *object, const gchar *name, GQuark domain,
                                   GError **error);
/* A base64 member holding exactly one DER TLV tagged @tag (strict base64). */
GBytes      *esim_json_get_tlv (JsonObject *object, const gchar *name, EsimTag tag, GQuark domain,
                                GError **error);
/* A hex transaction ID member (1–16 bytes), returned upper-case. */
gchar       *esim_json_get_transaction_id (JsonObject *object, const gchar *name, GQuark domain,
                                           GError **error);
/* TRUE if the member exists and is not JSON null. */
gboolean     esim_json_has_member (JsonObject *object, const gchar *name);

/*
 * The response header (SGP.22 §6.5.1.4).  TRUE when the function was
 * executed ("Executed-Success" / "Executed-WithWarning"), or when there is no
 * header and @required is FALSE.  Otherwise FALSE: a header that is there but
 * malformed is code 0 of @domain; "Failed" is @failed_code, "Expired"
 * @expired_code, the message names the server's codes and @status_out (if
 * non-NULL) gets them.
 */
gboolean     esim_json_check_header (JsonObject *root, gboolean required, GQuark domain,
                                     gint failed_code, gint expired_code,
                                     EsimEs9pStatus **status_out, GError **error);

/* Writing: @bytes as a base64 string member. */
void         esim_json_add_base64 (JsonBuilder *builder, const gchar *name, GBytes *bytes);
void         esim_json_add_string (JsonBuilder *builder, const gchar *name, const gchar *value);
/* The finished document (the builder's one top-level object) as compact text. */
gchar       *esim_json_builder_to_text (JsonBuilder *builder);

G_END_DECLS
