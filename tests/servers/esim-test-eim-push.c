/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test eIM's push: TransferEimPackage (SGP.32 §3.1.1.2 eIM Package
 * Injection, §6.3.2.8), the eIM POSTing a TransferEimPackageRequest to an IPA
 * that listens and recording its TransferEimPackageResponse.  How an eIM
 * reaches the IPA over HTTPS is [unverified] (digest §3.6, §3.8): this one
 * uses the ESipa paths and headers of the retrieval direction.
 */

#define G_LOG_DOMAIN "esim-test-eim"

#include "esim-test-eim-private.h"

typedef struct {
	gchar             *eid;
	EsimTestEimBinding binding;
} PushContext;

static void
push_context_free (PushContext *context)
{
	g_free (context->eid);
	g_free (context);
}

static GBytes *
push_body (const EsimTestEimDelivery *delivery, EsimTestEimBinding binding)
{
	g_autoptr(EsimDerWriter) writer = NULL;
	g_autoptr(JsonBuilder) builder = NULL;
	g_autoptr(JsonGenerator) generator = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *base64 = NULL;
	static const gchar *const members[] = {
		[ESIM_TEST_EIM_PACKAGE_EUICC] = "euiccPackageRequest",
		[ESIM_TEST_EIM_PACKAGE_DATA_REQUEST] = "ipaEuiccDataRequest",
		[ESIM_TEST_EIM_PACKAGE_DOWNLOAD] = "profileDownloadTriggerRequest",
		[ESIM_TEST_EIM_PACKAGE_ACKNOWLEDGEMENTS] = "eimAcknowledgements",
	};
	gsize len;
	const guint8 *data = g_bytes_get_data (delivery->tlv, &len);
	gchar *text;

	if (binding == ESIM_TEST_EIM_BINDING_ASN1) {
		/* TransferEimPackageRequest [78] CHOICE { BF51 | BF52 | BF53 | BF54 } */
		writer = esim_der_writer_new ();
		esim_der_writer_begin (writer, ESIM_TAG_ESIPA_TRANSFER_EIM_PACKAGE);
		esim_der_writer_put_raw (writer, data, len);
		esim_der_writer_end (writer);
		return esim_der_writer_finish (writer);
	}
	/* JSON: the member names of the Iapyx onomondo-ipa client's
	 * TransferEimPackage (esipa_json.c) [unverified beyond it] */
	builder = json_builder_new ();
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "header");
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "functionRequesterIdentifier");
	json_builder_add_string_value (builder, "esim-test-eim");
	json_builder_set_member_name (builder, "functionCallIdentifier");
	json_builder_add_string_value (builder, "transferEimPackage");
	json_builder_end_object (builder);
	base64 = g_base64_encode (data, len);
	json_builder_set_member_name (builder, members[delivery->kind]);
	json_builder_add_string_value (builder, base64);
	json_builder_end_object (builder);
	root = json_builder_get_root (builder);
	generator = json_generator_new ();
	json_generator_set_root (generator, root);
	text = json_generator_to_data (generator, &len);
	return g_bytes_new_take (text, len);
}

static GBytes *
base64_member (JsonObject *object, const gchar *name)
{
	JsonNode *node = json_object_get_member (object, name);
	gsize len;
	guchar *decoded;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
		return NULL;
	decoded = g_base64_decode (json_node_get_string (node), &len);
	return g_bytes_new_take (decoded, len);
}

/* JSON ePRAndNotifications { euiccPackageResult, notificationList }, the
 * form of the Iapyx onomondo-ipa client (esipa_json.c
 * ipa_esipa_json_enc_transfer_eim_pkg_rsp: the list as a DER SEQUENCE OF),
 * as the ASN.1 alternative 30 { BF51, A0 { … } }. */
static GBytes *
push_answer_bundle (JsonNode *node, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) result = NULL;
	g_autoptr(GBytes) list = NULL;
	g_autoptr(GBytes) retagged = NULL;

	if (JSON_NODE_HOLDS_OBJECT (node)) {
		result = base64_member (json_node_get_object (node), "euiccPackageResult");
		list = base64_member (json_node_get_object (node), "notificationList");
	}
	retagged = list != NULL ? eim_retag (list, EIM_TAG_NOTIFICATION_LIST) : NULL;
	if (result == NULL || retagged == NULL) {
		g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED,
		                     "the IPA's \"ePRAndNotifications\" is not { euiccPackageResult, notificationList }");
		return NULL;
	}
	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_put_raw (writer, g_bytes_get_data (result, NULL), g_bytes_get_size (result));
	esim_der_writer_put_raw (writer, g_bytes_get_data (retagged, NULL), g_bytes_get_size (retagged));
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* The TransferEimPackageResponse alternative of an ASN.1 or JSON answer. */
static GBytes *
push_answer_tlv (GBytes *body, EsimTestEimBinding binding, GError **error)
{
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	JsonObject *object;
	JsonNode *root;
	EsimTlv top;
	gsize len;
	const guint8 *data = g_bytes_get_data (body, &len);
	static const gchar *const tlv_members[] = { "euiccPackageResult", "ipaEuiccDataResponse" };

	if (binding == ESIM_TEST_EIM_BINDING_ASN1) {
		if (!esim_tlv_parse_tagged (data, len, ESIM_TAG_ESIPA_TRANSFER_EIM_PACKAGE, &top, NULL) ||
		    !esim_tlv_parse_exact (top.value, top.len, &top, NULL)) {
			g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED,
			                     "the IPA's answer is not one TransferEimPackageResponse (BF4E { … })");
			return NULL;
		}
		return esim_tlv_dup_raw (&top);
	}
	parser = json_parser_new_immutable ();
	if (data == NULL || !eim_json_nesting_is_sane ((const gchar *) data, len) ||
	    !g_utf8_validate ((const gchar *) data, (gssize) len, NULL)) {
		g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED,
		                     "the IPA's answer is not sane JSON text");
		return NULL;
	}
	if (!json_parser_load_from_data (parser, (const gchar *) data, (gssize) len, error))
		return NULL;
	root = json_parser_get_root (parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
		g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED,
		                     "the IPA's answer is not a JSON object");
		return NULL;
	}
	object = json_node_get_object (root);
	for (guint i = 0; i < G_N_ELEMENTS (tlv_members); i++) {
		JsonNode *node = json_object_get_member (object, tlv_members[i]);
		guchar *decoded;

		if (node == NULL)
			continue;
		if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
			g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED,
			             "the IPA's \"%s\" is not a string", tlv_members[i]);
			return NULL;
		}
		decoded = g_base64_decode (json_node_get_string (node), &len);
		return g_bytes_new_take (decoded, len);
	}
	if (json_object_has_member (object, "ePRAndNotifications"))
		return push_answer_bundle (json_object_get_member (object, "ePRAndNotifications"), error);
	if (json_object_has_member (object, "eimPackageError")) {
		JsonNode *node = json_object_get_member (object, "eimPackageError");

		if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64) {
			g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED,
			                     "the IPA's \"eimPackageError\" is not an integer");
			return NULL;
		}
		esim_der_writer_put_int (writer, ESIM_TAG_INTEGER, json_node_get_int (node));
		return esim_der_writer_finish (writer);
	}
	if (json_object_has_member (object, "eimPackageReceived")) {
		esim_der_writer_put_null (writer, ESIM_TAG_NULL);
		return esim_der_writer_finish (writer);
	}
	g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED,
	                     "the IPA's JSON answer carries no TransferEimPackageResponse member");
	return NULL;
}

static void
push_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	EsimTestEim *self = g_task_get_source_object (task);
	PushContext *context = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GBytes) tlv = NULL;
	g_autoptr(GArray) acks = g_array_new (FALSE, FALSE, sizeof (gint64));
	EimEuicc *euicc = eim_core_euicc_lookup (self, context->eid);
	EsimTestEimRecord *record;
	guint status = 0;

	body = eim_push_post_finish (res, &status, &error);
	if (body == NULL) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	if (status < 200 || status > 299 || g_bytes_get_size (body) == 0) {
		g_task_return_new_error (task, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED,
		                         "the IPA answered the push with HTTP %u and %" G_GSIZE_FORMAT " bytes", status,
		                         g_bytes_get_size (body));
		return;
	}
	tlv = push_answer_tlv (body, context->binding, &error);
	if (tlv == NULL) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	record = eim_core_process_result (self, euicc, tlv, ESIM_TEST_EIM_FUNCTION_TRANSFER_EIM_PACKAGE, context->binding, TRUE,
	                         acks, &error);
	if (record == NULL) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	eim_core_note_acknowledged (euicc, acks);
	g_task_return_pointer (task, record, NULL);
}

void
esim_test_eim_push_async (EsimTestEim *self, const gchar *eid, const gchar *address, const gchar *path,
                          GTlsDatabase *trust, EsimTestEimBinding binding, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autofree gchar *default_path = NULL;
	g_autoptr(GTlsCertificate) client = NULL;
	EimEuicc *euicc = eim_core_euicc_lookup (self, eid);
	EsimTestEimDelivery *delivery;
	PushContext *context;

	g_return_if_fail (ESIM_IS_TEST_EIM (self));
	if (euicc == NULL) {
		g_task_return_new_error (task, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID, "no eUICC %s here", eid);
		return;
	}
	delivery = eim_core_deliver_next (self, euicc, ESIM_TEST_EIM_FUNCTION_TRANSFER_EIM_PACKAGE, &error);
	if (delivery == NULL) {
		if (error == NULL)
			g_set_error (&error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_EMPTY, "no package queued for %s", eid);
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	context = g_new0 (PushContext, 1);
	context->eid = g_strdup (eid);
	context->binding = binding;
	g_task_set_task_data (task, context, (GDestroyNotify) push_context_free);
	eim_core_count_function (self, ESIM_TEST_EIM_FUNCTION_TRANSFER_EIM_PACKAGE);
	body = push_body (delivery, binding);
	if (path == NULL)
		path = default_path = binding == ESIM_TEST_EIM_BINDING_ASN1
		                      ? g_strdup (ESIM_TEST_EIM_ASN1_PATH)
		                      : g_strconcat (ESIM_TEST_EIM_JSON_PREFIX, "transferEimPackage", NULL);
	/* the eIM shows its TLS certificate to an IPA that asks: the one the eIM configuration's
	 * trustedPublicKeyDataTls vouches for ("used for TLS or DTLS", digest §4), by which an
	 * IPA that listens can tell its eIM from anyone (an unsigned package names no eIM) */
	client = eim_core_dup_tls_client_certificate (self);
	eim_push_post_async (address, path, binding == ESIM_TEST_EIM_BINDING_ASN1 ? ESIM_TEST_EIM_ASN1_CONTENT_TYPE
	                                                                        : ESIM_TEST_EIM_JSON_CONTENT_TYPE,
	                     body, trust, client, cancellable, push_done, g_steal_pointer (&task));
}

const EsimTestEimRecord *
esim_test_eim_push_finish (EsimTestEim *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}
