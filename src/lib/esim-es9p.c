/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ES9+ JSON binding.  Field names and mandatory fields per function are SGP.22
 * v2.5 §6.5.2.6–§6.5.2.10 as osmocom pySim's es9p.py lists them; the header
 * shape is §6.5.1.4 (pySim http_json_api.py JsonResponseHeader).  Parsing is
 * strict: the root must be an object, every mandatory member a string, every
 * binary member base64 of exactly one DER TLV with the tag its type has.
 * Unknown members are ignored (servers add their own).
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-der.h"
#include "esim-es9p.h"
#include "esim-esipa.h"
#include "esim-json-private.h"
#include "esim-tags.h"
#include "esim-util.h"

G_DEFINE_QUARK (esim-es9p-error-quark, esim_es9p_error)

/* the shared JSON helpers report malformed answers as code 0 */
G_STATIC_ASSERT (ESIM_ES9P_ERROR_MALFORMED == ESIM_JSON_ERROR_MALFORMED);

void
esim_es9p_status_free (EsimEs9pStatus *status)
{
	if (status == NULL)
		return;
	g_free (status->status);
	g_free (status->subject_code);
	g_free (status->reason_code);
	g_free (status->subject_identifier);
	g_free (status->message);
	g_free (status);
}

void
esim_initiate_authentication_ok_free (EsimInitiateAuthenticationOk *ok)
{
	if (ok == NULL)
		return;
	g_free (ok->transaction_id);
	g_clear_pointer (&ok->server_signed1, g_bytes_unref);
	g_clear_pointer (&ok->server_signature1, g_bytes_unref);
	g_clear_pointer (&ok->euicc_ci_pkid_to_be_used, g_bytes_unref);
	g_clear_pointer (&ok->server_certificate, g_bytes_unref);
	g_free (ok->matching_id);
	g_clear_pointer (&ok->ctx_params1, g_bytes_unref);
	g_free (ok);
}

void
esim_authenticate_client_ok_free (EsimAuthenticateClientOk *ok)
{
	if (ok == NULL)
		return;
	g_free (ok->transaction_id);
	g_clear_pointer (&ok->profile_metadata, g_bytes_unref);
	g_clear_pointer (&ok->smdp_signed2, g_bytes_unref);
	g_clear_pointer (&ok->smdp_signature2, g_bytes_unref);
	g_clear_pointer (&ok->smdp_certificate, g_bytes_unref);
	g_clear_pointer (&ok->hash_cc, g_bytes_unref);
	g_clear_pointer (&ok->profile_download_trigger, esim_profile_download_trigger_free);
	g_free (ok);
}

void
esim_bound_profile_package_ok_free (EsimBoundProfilePackageOk *ok)
{
	if (ok == NULL)
		return;
	g_free (ok->transaction_id);
	g_clear_pointer (&ok->bound_profile_package, g_bytes_unref);
	g_free (ok);
}

/* ---- helpers ---- */

static gint
base64_value (gchar c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

GBytes *
esim_base64_decode_strict (const gchar *text, GError **error)
{
	g_autoptr(GString) clean = g_string_new (NULL);
	gsize padding = 0;
	gsize decoded_len = 0;
	guchar *decoded;

	for (const gchar *p = text; *p != '\0'; p++) {
		if (g_ascii_isspace (*p))
			continue;
		if (*p == '=') {
			padding++;
		} else if (padding > 0 || base64_value (*p) < 0) {
			g_set_error_literal (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
			                     padding > 0 ? "base64 has data after its padding" :
			                     "base64 contains a character outside its alphabet");
			return NULL;
		}
		g_string_append_c (clean, *p);
	}
	if (clean->len == 0 || clean->len % 4 != 0 || padding > 2) {
		g_set_error_literal (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		                     "base64 is empty or not padded to a multiple of 4");
		return NULL;
	}
	decoded = g_base64_decode (clean->str, &decoded_len);
	return g_bytes_new_take (decoded, decoded_len);
}

gboolean
esim_transaction_id_is_valid (const gchar *hex)
{
	gsize len = strlen (hex);

	if (len == 0 || len % 2 != 0 || len > 2 * ESIM_TRANSACTION_ID_MAX_LENGTH)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isxdigit (hex[i]))
			return FALSE;
	}
	return TRUE;
}

/* Builds {"name": value, …} from name/GBytes pairs (base64) and strings. */
static gchar *
build_body (const gchar *first_name, ...)
{
	g_autoptr(JsonBuilder) builder = json_builder_new ();
	va_list args;

	json_builder_begin_object (builder);
	va_start (args, first_name);
	for (const gchar *name = first_name; name != NULL; name = va_arg (args, const gchar *)) {
		gboolean is_binary = va_arg (args, gboolean);

		if (is_binary)
			esim_json_add_base64 (builder, name, va_arg (args, GBytes *));
		else
			esim_json_add_string (builder, name, va_arg (args, const gchar *));
	}
	va_end (args);
	json_builder_end_object (builder);
	return esim_json_builder_to_text (builder);
}

#define BINARY(name, bytes) name, TRUE, (bytes)
#define TEXT(name, str)     name, FALSE, (str)

gchar *
esim_es9p_build_initiate_authentication (GBytes *euicc_challenge, GBytes *euicc_info1,
                                         const gchar *smdp_address)
{
	return build_body (BINARY ("euiccChallenge", euicc_challenge),
	                   BINARY ("euiccInfo1", euicc_info1),
	                   TEXT ("smdpAddress", smdp_address), NULL);
}

gchar *
esim_es9p_build_authenticate_client (const gchar *transaction_id, GBytes *authenticate_server_response)
{
	return build_body (TEXT ("transactionId", transaction_id),
	                   BINARY ("authenticateServerResponse", authenticate_server_response), NULL);
}

gchar *
esim_es9p_build_get_bound_profile_package (const gchar *transaction_id,
                                           GBytes *prepare_download_response)
{
	return build_body (TEXT ("transactionId", transaction_id),
	                   BINARY ("prepareDownloadResponse", prepare_download_response), NULL);
}

gchar *
esim_es9p_build_handle_notification (GBytes *pending_notification)
{
	return build_body (BINARY ("pendingNotification", pending_notification), NULL);
}

gchar *
esim_es9p_build_cancel_session (const gchar *transaction_id, GBytes *cancel_session_response)
{
	return build_body (TEXT ("transactionId", transaction_id),
	                   BINARY ("cancelSessionResponse", cancel_session_response), NULL);
}

/* ---- parsing (helpers shared with the ESipa JSON binding: esim-json.c) ---- */

static JsonObject *
parse_root (JsonParser *parser, const gchar *body, gsize len, GError **error)
{
	return esim_json_parse_root (parser, body, len, ESIM_ES9P_ERROR, error);
}

/* ES9+ answers always carry the header. */
static gboolean
check_header (JsonObject *root, EsimEs9pStatus **status_out, GError **error)
{
	return esim_json_check_header (root, TRUE, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED,
	                               ESIM_ES9P_ERROR_EXPIRED, status_out, error);
}

static GBytes *
get_tlv (JsonObject *object, const gchar *name, EsimTag tag, GError **error)
{
	return esim_json_get_tlv (object, name, tag, ESIM_ES9P_ERROR, error);
}

static gchar *
get_transaction_id (JsonObject *object, GError **error)
{
	return esim_json_get_transaction_id (object, "transactionId", ESIM_ES9P_ERROR, error);
}

EsimInitiateAuthenticationOk *
esim_es9p_parse_initiate_authentication (const gchar *body, gsize len, EsimEs9pStatus **status,
                                         GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable ();
	g_autoptr(EsimInitiateAuthenticationOk) ok = g_new0 (EsimInitiateAuthenticationOk, 1);
	JsonObject *root = parse_root (parser, body, len, error);

	if (root == NULL || !check_header (root, status, error))
		return NULL;
	if ((ok->transaction_id = get_transaction_id (root, error)) == NULL ||
	    (ok->server_signed1 = get_tlv (root, "serverSigned1", ESIM_TAG_SEQUENCE, error)) == NULL ||
	    (ok->server_signature1 = get_tlv (root, "serverSignature1", ESIM_TAG_SIGNATURE,
	                                      error)) == NULL ||
	    (ok->euicc_ci_pkid_to_be_used = get_tlv (root, "euiccCiPKIdToBeUsed",
	                                             ESIM_TAG_OCTET_STRING, error)) == NULL ||
	    (ok->server_certificate = get_tlv (root, "serverCertificate", ESIM_TAG_SEQUENCE,
	                                       error)) == NULL)
		return NULL;
	return g_steal_pointer (&ok);
}

EsimAuthenticateClientOk *
esim_es9p_parse_authenticate_client (const gchar *body, gsize len, EsimEs9pStatus **status,
                                     GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable ();
	g_autoptr(EsimAuthenticateClientOk) ok = g_new0 (EsimAuthenticateClientOk, 1);
	JsonObject *root = parse_root (parser, body, len, error);

	if (root == NULL || !check_header (root, status, error))
		return NULL;
	if ((ok->transaction_id = get_transaction_id (root, error)) == NULL ||
	    (ok->profile_metadata = get_tlv (root, "profileMetadata", ESIM_TAG_PROFILE_METADATA,
	                                     error)) == NULL ||
	    (ok->smdp_signed2 = get_tlv (root, "smdpSigned2", ESIM_TAG_SEQUENCE, error)) == NULL ||
	    (ok->smdp_signature2 = get_tlv (root, "smdpSignature2", ESIM_TAG_SIGNATURE,
	                                    error)) == NULL ||
	    (ok->smdp_certificate = get_tlv (root, "smdpCertificate", ESIM_TAG_SEQUENCE,
	                                     error)) == NULL)
		return NULL;
	return g_steal_pointer (&ok);
}

EsimBoundProfilePackageOk *
esim_es9p_parse_get_bound_profile_package (const gchar *body, gsize len, EsimEs9pStatus **status,
                                           GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable ();
	g_autoptr(EsimBoundProfilePackageOk) ok = g_new0 (EsimBoundProfilePackageOk, 1);
	JsonObject *root = parse_root (parser, body, len, error);

	if (root == NULL || !check_header (root, status, error))
		return NULL;
	if ((ok->transaction_id = get_transaction_id (root, error)) == NULL ||
	    (ok->bound_profile_package = get_tlv (root, "boundProfilePackage",
	                                          ESIM_TAG_BOUND_PROFILE_PACKAGE, error)) == NULL)
		return NULL;
	return g_steal_pointer (&ok);
}

gboolean
esim_es9p_parse_cancel_session (const gchar *body, gsize len, EsimEs9pStatus **status,
                                GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable ();
	JsonObject *root = parse_root (parser, body, len, error);

	return root != NULL && check_header (root, status, error);
}
