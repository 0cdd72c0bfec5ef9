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

#include <json-glib/json-glib.h>
#include <string.h>

#include "esim-der.h"
#include "esim-es9p.h"
#include "esim-tags.h"
#include "esim-util.h"

G_DEFINE_QUARK (esim-es9p-error-quark, esim_es9p_error)

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

static gchar *
base64_of (GBytes *bytes)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (bytes, &len);

	return g_base64_encode (data, len);
}

/* Builds {"name": value, …} from name/GBytes pairs (base64) and strings. */
static gchar *
build_body (const gchar *first_name, ...)
{
	g_autoptr(JsonBuilder) builder = json_builder_new ();
	g_autoptr(JsonGenerator) generator = json_generator_new ();
	g_autoptr(JsonNode) root = NULL;
	va_list args;

	json_builder_begin_object (builder);
	va_start (args, first_name);
	for (const gchar *name = first_name; name != NULL; name = va_arg (args, const gchar *)) {
		gboolean is_binary = va_arg (args, gboolean);

		json_builder_set_member_name (builder, name);
		if (is_binary) {
			g_autofree gchar *b64 = base64_of (va_arg (args, GBytes *));

			json_builder_add_string_value (builder, b64);
		} else {
			json_builder_add_string_value (builder, va_arg (args, const gchar *));
		}
	}
	va_end (args);
	json_builder_end_object (builder);
	root = json_builder_get_root (builder);
	json_generator_set_root (generator, root);
	return json_generator_to_data (generator, NULL);
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

/* ---- parsing ---- */

/* ES9+ answers nest three levels deep; a deeper document is not one of them,
 * and refusing it before json-glib's recursive parser sees it keeps a hostile
 * server from exhausting the stack. */
#define ES9P_MAX_NESTING 16

static gboolean
nesting_is_sane (const gchar *body, gsize len)
{
	gboolean in_string = FALSE;
	guint depth = 0;

	for (gsize i = 0; i < len; i++) {
		gchar c = body[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = FALSE;
		} else if (c == '"') {
			in_string = TRUE;
		} else if (c == '{' || c == '[') {
			if (++depth > ES9P_MAX_NESTING)
				return FALSE;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return TRUE;
}

static JsonObject *
parse_root (JsonParser *parser, const gchar *body, gsize len, GError **error)
{
	g_autoptr(GError) local = NULL;
	JsonNode *root;

	if (len > G_MAXSSIZE || memchr (body, '\0', len) != NULL ||
	    !g_utf8_validate (body, (gssize) len, NULL)) {
		g_set_error_literal (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		                     "answer is not UTF-8 text");
		return NULL;
	}
	if (!nesting_is_sane (body, len)) {
		g_set_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		             "answer nests deeper than %u levels", (guint) ES9P_MAX_NESTING);
		return NULL;
	}
	if (!json_parser_load_from_data (parser, body, (gssize) len, &local)) {
		g_set_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		             "answer is not JSON: %s", local->message);
		return NULL;
	}
	root = json_parser_get_root (parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
		g_set_error_literal (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		                     "answer is not a JSON object");
		return NULL;
	}
	return json_node_get_object (root);
}

/* A member that must be a string; NULL (error set) if absent or of another type. */
static const gchar *
get_string (JsonObject *object, const gchar *name, gboolean mandatory, GError **error)
{
	JsonNode *node = json_object_get_member (object, name);

	if (node == NULL || JSON_NODE_HOLDS_NULL (node)) {
		if (mandatory)
			g_set_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
			             "answer lacks \"%s\"", name);
		return NULL;
	}
	if (json_node_get_value_type (node) != G_TYPE_STRING) {
		g_set_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		             "answer's \"%s\" is not a string", name);
		return NULL;
	}
	return json_node_get_string (node);
}

static JsonObject *
get_object (JsonObject *object, const gchar *name, GError **error)
{
	JsonNode *node = json_object_get_member (object, name);

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)) {
		g_set_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		             "answer lacks the object \"%s\"", name);
		return NULL;
	}
	return json_node_get_object (node);
}

/* The header: TRUE when the function was executed; otherwise the error names
 * the server's status and codes, and @status_out gets them. */
static gboolean
check_header (JsonObject *root, EsimEs9pStatus **status_out, GError **error)
{
	g_autoptr(EsimEs9pStatus) status = g_new0 (EsimEs9pStatus, 1);
	JsonObject *header;
	JsonObject *execution;
	JsonNode *code_data;
	const gchar *value;

	if ((header = get_object (root, "header", error)) == NULL ||
	    (execution = get_object (header, "functionExecutionStatus", error)) == NULL ||
	    (value = get_string (execution, "status", TRUE, error)) == NULL)
		return FALSE;
	if (g_str_equal (value, "Executed-Success") || g_str_equal (value, "Executed-WithWarning"))
		return TRUE;
	if (!g_str_equal (value, "Failed") && !g_str_equal (value, "Expired")) {
		g_set_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		             "answer's functionExecutionStatus \"%s\" is not one SGP.22 defines",
		             value);
		return FALSE;
	}
	status->status = g_strdup (value);
	code_data = json_object_get_member (execution, "statusCodeData");
	if (code_data != NULL && JSON_NODE_HOLDS_OBJECT (code_data)) {
		JsonObject *data = json_node_get_object (code_data);

		/* each optional; a member of the wrong type is treated as absent */
		status->subject_code = g_strdup (get_string (data, "subjectCode", FALSE, NULL));
		status->reason_code = g_strdup (get_string (data, "reasonCode", FALSE, NULL));
		status->subject_identifier = g_strdup (get_string (data, "subjectIdentifier", FALSE, NULL));
		status->message = g_strdup (get_string (data, "message", FALSE, NULL));
	}
	g_set_error (error, ESIM_ES9P_ERROR,
	             g_str_equal (value, "Expired") ? ESIM_ES9P_ERROR_EXPIRED : ESIM_ES9P_ERROR_FAILED,
	             "%s%s(subject %s, reason %s)", status->message != NULL ? status->message : "",
	             status->message != NULL ? " " : "",
	             status->subject_code != NULL ? status->subject_code : "?",
	             status->reason_code != NULL ? status->reason_code : "?");
	if (status_out != NULL)
		*status_out = g_steal_pointer (&status);
	return FALSE;
}

/* A base64 member holding exactly one DER TLV tagged @tag. */
static GBytes *
get_tlv (JsonObject *object, const gchar *name, EsimTag tag, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GBytes) bytes = NULL;
	const gchar *text = get_string (object, name, TRUE, error);
	EsimTlv tlv;

	if (text == NULL)
		return NULL;
	bytes = esim_base64_decode_strict (text, &local);
	if (bytes == NULL ||
	    !esim_tlv_parse_tagged (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), tag,
	                            &tlv, &local)) {
		g_set_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		             "answer's \"%s\" is not one DER element tagged %X: %s", name, tag,
		             local->message);
		return NULL;
	}
	return g_steal_pointer (&bytes);
}

static gchar *
get_transaction_id (JsonObject *object, GError **error)
{
	const gchar *text = get_string (object, "transactionId", TRUE, error);

	if (text == NULL)
		return NULL;
	if (!esim_transaction_id_is_valid (text)) {
		g_set_error_literal (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		                     "answer's \"transactionId\" is not 1 to 16 bytes in hex");
		return NULL;
	}
	return g_ascii_strup (text, -1);
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
