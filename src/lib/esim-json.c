/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON helpers shared by the ES9+ and ESipa JSON bindings (esim-json-private.h).
 * Strict on what a member must be; members nobody asked for are ignored
 * (servers add their own).
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-json-private.h"

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
			if (++depth > ESIM_JSON_MAX_NESTING)
				return FALSE;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return TRUE;
}

JsonObject *
esim_json_parse_root (JsonParser *parser, const gchar *body, gsize len, GQuark domain,
                      GError **error)
{
	g_autoptr(GError) local = NULL;
	JsonNode *root;

	if (len > G_MAXSSIZE || (len > 0 && memchr (body, '\0', len) != NULL) ||
	    !g_utf8_validate (body, (gssize) len, NULL)) {
		g_set_error_literal (error, domain, ESIM_JSON_ERROR_MALFORMED,
		                     "answer is not UTF-8 text");
		return NULL;
	}
	if (!nesting_is_sane (body, len)) {
		g_set_error (error, domain, ESIM_JSON_ERROR_MALFORMED,
		             "answer nests deeper than %u levels", (guint) ESIM_JSON_MAX_NESTING);
		return NULL;
	}
	if (!json_parser_load_from_data (parser, body, (gssize) len, &local)) {
		g_set_error (error, domain, ESIM_JSON_ERROR_MALFORMED, "answer is not JSON: %s",
		             local->message);
		return NULL;
	}
	root = json_parser_get_root (parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
		g_set_error_literal (error, domain, ESIM_JSON_ERROR_MALFORMED,
		                     "answer is not a JSON object");
		return NULL;
	}
	return json_node_get_object (root);
}

gboolean
esim_json_has_member (JsonObject *object, const gchar *name)
{
	JsonNode *node = json_object_get_member (object, name);

	return node != NULL && !JSON_NODE_HOLDS_NULL (node);
}

const gchar *
esim_json_get_string (JsonObject *object, const gchar *name, gboolean mandatory, GQuark domain,
                      GError **error)
{
	JsonNode *node = json_object_get_member (object, name);

	if (node == NULL || JSON_NODE_HOLDS_NULL (node)) {
		if (mandatory)
			g_set_error (error, domain, ESIM_JSON_ERROR_MALFORMED, "answer lacks \"%s\"",
			             name);
		return NULL;
	}
	if (json_node_get_value_type (node) != G_TYPE_STRING) {
		g_set_error (error, domain, ESIM_JSON_ERROR_MALFORMED,
		             "answer's \"%s\" is not a string", name);
		return NULL;
	}
	return json_node_get_string (node);
}

JsonObject *
esim_json_get_object (JsonObject *object, const gchar *name, GQuark domain, GError **error)
{
	JsonNode *node = json_object_get_member (object, name);

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)) {
		g_set_error (error, domain, ESIM_JSON_ERROR_MALFORMED,
		             "answer lacks the object \"%s\"", name);
		return NULL;
	}
	return json_node_get_object (node);
}

GBytes *
esim_json_get_tlv (JsonObject *object, const gchar *name, EsimTag tag, GQuark domain,
                   GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GBytes) bytes = NULL;
	const gchar *text = esim_json_get_string (object, name, TRUE, domain, error);
	EsimTlv tlv;

	if (text == NULL)
		return NULL;
	bytes = esim_base64_decode_strict (text, &local);
	if (bytes == NULL ||
	    !esim_tlv_parse_tagged (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), tag,
	                            &tlv, &local)) {
		g_set_error (error, domain, ESIM_JSON_ERROR_MALFORMED,
		             "answer's \"%s\" is not one DER element tagged %X: %s", name, tag,
		             local->message);
		return NULL;
	}
	return g_steal_pointer (&bytes);
}

gchar *
esim_json_get_transaction_id (JsonObject *object, const gchar *name, GQuark domain,
                              GError **error)
{
	const gchar *text = esim_json_get_string (object, name, TRUE, domain, error);

	if (text == NULL)
		return NULL;
	if (!esim_transaction_id_is_valid (text)) {
		g_set_error (error, domain, ESIM_JSON_ERROR_MALFORMED,
		             "answer's \"%s\" is not 1 to 16 bytes in hex", name);
		return NULL;
	}
	return g_ascii_strup (text, -1);
}

gboolean
esim_json_check_header (JsonObject *root, gboolean required, GQuark domain, gint failed_code,
                        gint expired_code, EsimEs9pStatus **status_out, GError **error)
{
	g_autoptr(EsimEs9pStatus) status = NULL;
	JsonObject *header;
	JsonObject *execution;
	JsonNode *code_data;
	const gchar *value;

	if (!required && !esim_json_has_member (root, "header"))
		return TRUE;
	if ((header = esim_json_get_object (root, "header", domain, error)) == NULL ||
	    (execution = esim_json_get_object (header, "functionExecutionStatus", domain,
	                                       error)) == NULL ||
	    (value = esim_json_get_string (execution, "status", TRUE, domain, error)) == NULL)
		return FALSE;
	if (g_str_equal (value, "Executed-Success") || g_str_equal (value, "Executed-WithWarning"))
		return TRUE;
	if (!g_str_equal (value, "Failed") && !g_str_equal (value, "Expired")) {
		g_set_error (error, domain, ESIM_JSON_ERROR_MALFORMED,
		             "answer's functionExecutionStatus \"%s\" is not one SGP.22 defines",
		             value);
		return FALSE;
	}
	status = g_new0 (EsimEs9pStatus, 1);
	status->status = g_strdup (value);
	code_data = json_object_get_member (execution, "statusCodeData");
	if (code_data != NULL && JSON_NODE_HOLDS_OBJECT (code_data)) {
		JsonObject *data = json_node_get_object (code_data);

		/* each optional; a member of the wrong type is treated as absent */
		status->subject_code = g_strdup (esim_json_get_string (data, "subjectCode", FALSE,
		                                                       domain, NULL));
		status->reason_code = g_strdup (esim_json_get_string (data, "reasonCode", FALSE,
		                                                      domain, NULL));
		status->subject_identifier = g_strdup (esim_json_get_string (data, "subjectIdentifier",
		                                                             FALSE, domain, NULL));
		status->message = g_strdup (esim_json_get_string (data, "message", FALSE, domain,
		                                                  NULL));
	}
	g_set_error (error, domain, g_str_equal (value, "Expired") ? expired_code : failed_code,
	             "%s%s(subject %s, reason %s)", status->message != NULL ? status->message : "",
	             status->message != NULL ? " " : "",
	             status->subject_code != NULL ? status->subject_code : "?",
	             status->reason_code != NULL ? status->reason_code : "?");
	if (status_out != NULL)
		*status_out = g_steal_pointer (&status);
	return FALSE;
}

void
esim_json_add_base64 (JsonBuilder *builder, const gchar *name, GBytes *bytes)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (bytes, &len);
	g_autofree gchar *b64 = g_base64_encode (data, len);

	json_builder_set_member_name (builder, name);
	json_builder_add_string_value (builder, b64);
}

void
esim_json_add_string (JsonBuilder *builder, const gchar *name, const gchar *value)
{
	json_builder_set_member_name (builder, name);
	json_builder_add_string_value (builder, value);
}

gchar *
esim_json_builder_to_text (JsonBuilder *builder)
{
	g_autoptr(JsonGenerator) generator = json_generator_new ();
	g_autoptr(JsonNode) root = json_builder_get_root (builder);

	json_generator_set_root (generator, root);
	return json_generator_to_data (generator, NULL);
}
