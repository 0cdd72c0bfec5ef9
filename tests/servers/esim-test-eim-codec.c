/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test eIM's two ESipa bindings: the requests an IPA sends, parsed into
 * one EimRequest, and the answers, encoded from one EimAnswer.
 *
 * ASN.1 binding (SGP.32 §6.3; digest §3.1, §3.2 wire tables): the body is
 * one EsipaMessageFromIpaToEim; the answer one EsipaMessageFromEimToIpa.
 *
 * JSON binding (SGP.32 §6.4.1.x), field by field as osmocom/osmo-ttcn3-hacks
 * library/euicc/esipa_Types_JSON.ttcn has it (it converts both ways between
 * the JSON and the ASN.1 types, which fixes each field's form):
 *   - transactionId, eimTransactionId, eidValue, rPlmn: hex strings;
 *   - euiccChallenge, serverSignature1, smdpSignature2,
 *     euiccCiPKIdentifierToBeUsed, hashCc: base64 of the OCTET STRING's
 *     value only (the Iapyx onomondo-ipa JSON client,
 *     src/ipa/libipa/esipa_json.c, reads them so too);
 *   - every other binary field: base64 of the whole DER TLV;
 *   - notifyStateChange boolean, stateChangeCause and eimPackageError
 *     integers, matchingId and smdpAddress plain strings;
 *   - answers carry header.functionExecutionStatus.status
 *     "Executed-Success"; GetEimPackage's eimPackageError is a plain member
 *     beside a success header.
 * How the JSON binding carries the error INTEGER of the other functions is
 * not in any public source [unverified]: this eIM answers status "Failed"
 * with statusCodeData { reasonCode = the code, message = its name } and the
 * code again in a member named after the ASN.1 alternative.
 */

#define G_LOG_DOMAIN "esim-test-eim"

#include <string.h>

#include "esim-test-eim-private.h"
#include "esim-util.h"

#define REQUEST_MAX_JSON_DEPTH 8

static gboolean
malformed (GError **error, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
malformed (GError **error, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *message = NULL;

	va_start (args, format);
	message = g_strdup_vprintf (format, args);
	va_end (args);
	g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED, message);
	return FALSE;
}

void
eim_request_clear (EimRequest *request)
{
	g_clear_pointer (&request->eid, g_bytes_unref);
	g_clear_pointer (&request->rplmn, g_bytes_unref);
	g_clear_pointer (&request->eim_package_result, g_bytes_unref);
	g_clear_pointer (&request->pending_notification, g_bytes_unref);
	g_clear_pointer (&request->euicc_challenge, g_bytes_unref);
	g_clear_pointer (&request->euicc_info1, g_bytes_unref);
	g_clear_pointer (&request->smdp_address, g_free);
	g_clear_pointer (&request->eim_transaction_id, g_bytes_unref);
	g_clear_pointer (&request->transaction_id, g_bytes_unref);
	g_clear_pointer (&request->euicc_response, g_bytes_unref);
}

static void
request_init (EimRequest *request, EsimTestEimBinding binding)
{
	memset (request, 0, sizeof (*request));
	request->binding = binding;
	request->state_change_cause = -1;
}

/* ------------------------------------------------------------------------ */
/* ASN.1 requests */

/* One field of a SEQUENCE, in the order the module defines them. */
typedef struct {
	EsimTag      tag;
	gboolean     optional;
	EsimTlv      tlv;
	gboolean     present;
} SeqField;

/* Walks @parent's children against @fields in order: every child must be the
 * next field (optional ones may be skipped), nothing else may appear, and
 * every mandatory field must be there (DER keeps the module's order). */
static gboolean
parse_sequence (const EsimTlv *parent, SeqField *fields, guint n_fields, const gchar *what, GError **error)
{
	EsimTlvIter iter;
	EsimTlv child;
	guint next = 0;
	GError *local = NULL;

	esim_tlv_iter_init (&iter, parent);
	while (esim_tlv_iter_next (&iter, &child, &local)) {
		while (next < n_fields && fields[next].tag != child.tag) {
			if (!fields[next].optional)
				return malformed (error, "%s: %X where %X belongs", what, child.tag, fields[next].tag);
			next++;
		}
		if (next == n_fields)
			return malformed (error, "%s: unexpected %X", what, child.tag);
		fields[next].tlv = child;
		fields[next].present = TRUE;
		next++;
	}
	if (local != NULL) {
		g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED, "%s: %s", what,
		             local->message);
		g_error_free (local);
		return FALSE;
	}
	for (; next < n_fields; next++) {
		if (!fields[next].optional)
			return malformed (error, "%s: %X missing", what, fields[next].tag);
	}
	return TRUE;
}

static gboolean
transaction_id_ok (const EsimTlv *tlv)
{
	return tlv->len >= 1 && tlv->len <= ESIM_TRANSACTION_ID_MAX_LENGTH;
}

/* GetEimPackageRequest [79] { eidValue 5A, notifyStateChange [0] NULL OPT,
 * stateChangeCause [1] OPT, rPLMN [2] OCTET STRING (SIZE(3)) OPT } */
static gboolean
parse_get_eim_package (const EsimTlv *top, EimRequest *request, GError **error)
{
	SeqField fields[] = {
		{ ESIM_TAG_EID, TRUE },   /* missing: answered missingEid */
		{ EIM_TAG_NOTIFY_STATE_CHANGE, TRUE },
		{ EIM_TAG_STATE_CHANGE_CAUSE, TRUE },
		{ EIM_TAG_RPLMN, TRUE },
	};

	if (!parse_sequence (top, fields, G_N_ELEMENTS (fields), "GetEimPackageRequest", error))
		return FALSE;
	if (fields[0].present)
		request->eid = esim_tlv_dup_value (&fields[0].tlv);
	if (fields[1].present) {
		if (fields[1].tlv.len != 0)
			return malformed (error, "GetEimPackageRequest: notifyStateChange is a NULL");
		request->notify_state_change = TRUE;
	}
	if (fields[2].present && !esim_tlv_get_int (&fields[2].tlv, &request->state_change_cause, NULL))
		return malformed (error, "GetEimPackageRequest: stateChangeCause");
	if (fields[3].present) {
		if (fields[3].tlv.len != 3)
			return malformed (error, "GetEimPackageRequest: rPLMN is 3 bytes");
		request->rplmn = esim_tlv_dup_value (&fields[3].tlv);
	}
	return TRUE;
}

static gboolean
is_package_result_tag (EsimTag tag)
{
	return tag == ESIM_TAG_LOAD_EUICC_PACKAGE || tag == ESIM_TAG_SEQUENCE ||
	       tag == ESIM_TAG_IPA_EUICC_DATA_REQUEST || tag == ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER ||
	       tag == EIM_TAG_RESULT_RESPONSE_ERROR;
}

/* ProvideEimPackageResult [80] { eidValue 5A OPT, eimPackageResult CHOICE } (v1.2) */
static gboolean
parse_provide (const EsimTlv *top, EimRequest *request, GError **error)
{
	EsimTlvIter iter;
	EsimTlv child;

	esim_tlv_iter_init (&iter, top);
	if (!esim_tlv_iter_next (&iter, &child, NULL))
		return malformed (error, "ProvideEimPackageResult: empty");
	if (child.tag == ESIM_TAG_EID) {
		request->eid = esim_tlv_dup_value (&child);
		if (!esim_tlv_iter_next (&iter, &child, NULL))
			return malformed (error, "ProvideEimPackageResult: no eimPackageResult");
	}
	if (!is_package_result_tag (child.tag))
		return malformed (error, "ProvideEimPackageResult: %X is not an EimPackageResult", child.tag);
	request->eim_package_result = esim_tlv_dup_raw (&child);
	if (esim_tlv_iter_next (&iter, &child, NULL))
		return malformed (error, "ProvideEimPackageResult: %X after the result", child.tag);
	return TRUE;
}

static gboolean
is_pending_notification_tag (EsimTag tag)
{
	return tag == ESIM_TAG_PROFILE_INSTALLATION_RESULT || tag == ESIM_TAG_SEQUENCE ||
	       tag == EIM_TAG_COMPACT_PIR || tag == EIM_TAG_COMPACT_OSN;
}

/* HandleNotificationEsipa [61] CHOICE { pendingNotification [0] (explicit),
 * provideEimPackageResult [80] } (v1.2; digest §3.2) */
static gboolean
parse_handle_notification (const EsimTlv *top, EimRequest *request, GError **error)
{
	EsimTlv choice, inner;

	if (!esim_tlv_parse_exact (top->value, top->len, &choice, NULL))
		return malformed (error, "HandleNotification: one alternative expected");
	if (choice.tag == ESIM_TAG_ESIPA_PROVIDE_EIM_PACKAGE_RESULT)
		return parse_provide (&choice, request, error);
	if (choice.tag != EIM_TAG_PENDING_NOTIFICATION)
		return malformed (error, "HandleNotification: %X (a v1.0 untagged CHOICE?)", choice.tag);
	if (!esim_tlv_parse_exact (choice.value, choice.len, &inner, NULL) ||
	    !is_pending_notification_tag (inner.tag))
		return malformed (error, "HandleNotification: pendingNotification holds no PendingNotification");
	request->pending_notification = esim_tlv_dup_raw (&inner);
	return TRUE;
}

/* InitiateAuthenticationRequestEsipa [57] { euiccChallenge [1], smdpAddress [3] OPT,
 * euiccInfo1 BF20 OPT, eimTransactionId [2] OPT } */
static gboolean
parse_initiate_authentication (const EsimTlv *top, EimRequest *request, GError **error)
{
	SeqField fields[] = {
		{ EIM_TAG_EUICC_CHALLENGE, FALSE },
		{ EIM_TAG_SMDP_ADDRESS, TRUE },
		{ ESIM_TAG_GET_EUICC_INFO1, TRUE },
		{ EIM_TAG_IA_EIM_TRANSACTION_ID, TRUE },
	};

	if (!parse_sequence (top, fields, G_N_ELEMENTS (fields), "InitiateAuthenticationRequestEsipa", error))
		return FALSE;
	if (fields[0].tlv.len != ESIM_EUICC_CHALLENGE_LENGTH)
		return malformed (error, "InitiateAuthenticationRequestEsipa: euiccChallenge is 16 bytes");
	request->euicc_challenge = esim_tlv_dup_value (&fields[0].tlv);
	if (fields[1].present) {
		request->smdp_address = esim_tlv_dup_utf8 (&fields[1].tlv, NULL);
		if (request->smdp_address == NULL)
			return malformed (error, "InitiateAuthenticationRequestEsipa: smdpAddress");
	}
	if (fields[2].present)
		request->euicc_info1 = esim_tlv_dup_raw (&fields[2].tlv);
	if (fields[3].present) {
		if (!transaction_id_ok (&fields[3].tlv))
			return malformed (error, "InitiateAuthenticationRequestEsipa: eimTransactionId");
		request->eim_transaction_id = esim_tlv_dup_value (&fields[3].tlv);
	}
	return TRUE;
}

/* AuthenticateClientRequestEsipa { transactionId [0], BF38 } and
 * GetBoundProfilePackageRequestEsipa { transactionId [0], BF21 } */
static gboolean
parse_transaction_and_response (const EsimTlv *top, EsimTag response_tag, EimRequest *request,
                                const gchar *what, GError **error)
{
	SeqField fields[] = {
		{ EIM_TAG_TRANSACTION_ID, FALSE },
		{ response_tag, FALSE },
	};

	if (!parse_sequence (top, fields, G_N_ELEMENTS (fields), what, error))
		return FALSE;
	if (!transaction_id_ok (&fields[0].tlv))
		return malformed (error, "%s: transactionId", what);
	request->transaction_id = esim_tlv_dup_value (&fields[0].tlv);
	request->euicc_response = esim_tlv_dup_raw (&fields[1].tlv);
	return TRUE;
}

/* CancelSessionRequestEsipa [65] { transactionId, cancelSessionResponse }: both
 * untagged, so automatic tags: BF41 { 80 tid, A1 <contents of the eUICC's
 * BF41> } (digest §3.2, checked with asn1c); the eUICC's own BF41 is rebuilt
 * around those contents, byte for byte what the eUICC sent. */
static gboolean
parse_cancel_session (const EsimTlv *top, EimRequest *request, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	SeqField fields[] = {
		{ EIM_TAG_TRANSACTION_ID, FALSE },
		{ EIM_TAG_CANCEL_SESSION_RESPONSE, FALSE },
	};

	if (!parse_sequence (top, fields, G_N_ELEMENTS (fields), "CancelSessionRequestEsipa", error))
		return FALSE;
	if (!transaction_id_ok (&fields[0].tlv))
		return malformed (error, "CancelSessionRequestEsipa: transactionId");
	request->transaction_id = esim_tlv_dup_value (&fields[0].tlv);
	esim_der_writer_put (writer, ESIM_TAG_CANCEL_SESSION, fields[1].tlv.value, fields[1].tlv.len);
	request->euicc_response = esim_der_writer_finish (writer);
	return TRUE;
}

gboolean
eim_request_parse_asn1 (const guint8 *body, gsize len, EimRequest *request, GError **error)
{
	EsimTlv top;
	GError *local = NULL;

	request_init (request, ESIM_TEST_EIM_BINDING_ASN1);
	if (!esim_tlv_parse_exact (body, len, &top, &local)) {
		g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED,
		             "not one DER EsipaMessageFromIpaToEim: %s", local->message);
		g_error_free (local);
		return FALSE;
	}
	switch (top.tag) {
	case ESIM_TAG_ESIPA_GET_EIM_PACKAGE:
		request->function = ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE;
		return parse_get_eim_package (&top, request, error);
	case ESIM_TAG_ESIPA_PROVIDE_EIM_PACKAGE_RESULT:
		request->function = ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT;
		return parse_provide (&top, request, error);
	case ESIM_TAG_ESIPA_HANDLE_NOTIFICATION:
		request->function = ESIM_TEST_EIM_FUNCTION_HANDLE_NOTIFICATION;
		return parse_handle_notification (&top, request, error);
	case ESIM_TAG_ESIPA_INITIATE_AUTHENTICATION:
		request->function = ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION;
		return parse_initiate_authentication (&top, request, error);
	case ESIM_TAG_ESIPA_AUTHENTICATE_CLIENT:
		request->function = ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT;
		return parse_transaction_and_response (&top, ESIM_TAG_AUTHENTICATE_SERVER, request,
		                                       "AuthenticateClientRequestEsipa", error);
	case ESIM_TAG_ESIPA_GET_BOUND_PROFILE_PACKAGE:
		request->function = ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE;
		return parse_transaction_and_response (&top, ESIM_TAG_PREPARE_DOWNLOAD, request,
		                                       "GetBoundProfilePackageRequestEsipa", error);
	case ESIM_TAG_ESIPA_CANCEL_SESSION:
		request->function = ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION;
		return parse_cancel_session (&top, request, error);
	default:
		/* TransferEimPackageResponse (BF4E) answers a push; it is never a request */
		return malformed (error, "%X is not an ESipa request to an eIM", top.tag);
	}
}

/* ------------------------------------------------------------------------ */
/* JSON requests */

static const struct {
	EsimTestEimFunction function;
	const gchar *name;
} json_functions[] = {
	{ ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE, "getEimPackage" },
	{ ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT, "provideEimPackageResult" },
	{ ESIM_TEST_EIM_FUNCTION_HANDLE_NOTIFICATION, "handleNotification" },
	{ ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION, "initiateAuthentication" },
	{ ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT, "authenticateClient" },
	{ ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE, "getBoundProfilePackage" },
	{ ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION, "cancelSession" },
	{ ESIM_TEST_EIM_FUNCTION_TRANSFER_EIM_PACKAGE, "transferEimPackage" },
};

const gchar *
esim_test_eim_function_name (EsimTestEimFunction function)
{
	for (guint i = 0; i < G_N_ELEMENTS (json_functions); i++) {
		if (json_functions[i].function == function)
			return json_functions[i].name;
	}
	return "unknown";
}

EsimTestEimFunction
eim_function_from_json_name (const gchar *name)
{
	for (guint i = 0; name != NULL && i < G_N_ELEMENTS (json_functions); i++) {
		if (g_str_equal (json_functions[i].name, name))
			return json_functions[i].function;
	}
	return ESIM_TEST_EIM_FUNCTION_NONE;
}

/* RFC 4648 base64 with padding, nothing else (g_base64_decode skips garbage). */
static GBytes *
base64_decode_strict (const gchar *text)
{
	gsize n = strlen (text);
	gsize out_len;
	guchar *out;

	if (n % 4 != 0)
		return NULL;
	for (gsize i = 0; i < n; i++) {
		gchar c = text[i];

		if (c == '=') {
			if (i < n - 2 || (i == n - 2 && text[n - 1] != '='))
				return NULL;
		} else if (!g_ascii_isalnum (c) && c != '+' && c != '/') {
			return NULL;
		}
	}
	out = g_base64_decode (text, &out_len);
	return g_bytes_new_take (out, out_len);
}

static const gchar *
member_string (JsonObject *object, const gchar *name, gboolean required, const gchar *function,
               GError **error)
{
	JsonNode *node = json_object_get_member (object, name);

	if (node == NULL || JSON_NODE_HOLDS_NULL (node)) {
		if (required)
			malformed (error, "%s: \"%s\" missing", function, name);
		return NULL;
	}
	if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
		malformed (error, "%s: \"%s\" is not a string", function, name);
		return NULL;
	}
	return json_node_get_string (node);
}

/* A hex member; *@out NULL when absent and not required. */
static gboolean
member_hex (JsonObject *object, const gchar *name, gboolean required, const gchar *function, GBytes **out,
            GError **error)
{
	GError *local = NULL;
	const gchar *text = member_string (object, name, required, function, &local);

	*out = NULL;
	if (local != NULL) {
		g_propagate_error (error, local);
		return FALSE;
	}
	if (text == NULL)
		return TRUE;
	for (const gchar *p = text; *p != '\0'; p++) {
		if (!g_ascii_isxdigit (*p))
			return malformed (error, "%s: \"%s\" is not hex", function, name);
	}
	*out = esim_hex_decode (text, NULL);
	if (*out == NULL)
		return malformed (error, "%s: \"%s\" is not hex", function, name);
	return TRUE;
}

/* A base64 member: the value only (@tags NULL) or one whole TLV whose tag is
 * in the 0-terminated @tags. */
static gboolean
member_base64 (JsonObject *object, const gchar *name, gboolean required, const EsimTag *tags,
               const gchar *function, GBytes **out, GError **error)
{
	GError *local = NULL;
	const gchar *text = member_string (object, name, required, function, &local);
	g_autoptr(GBytes) bytes = NULL;
	EsimTlv tlv;
	gsize len;
	const guint8 *data;

	*out = NULL;
	if (local != NULL) {
		g_propagate_error (error, local);
		return FALSE;
	}
	if (text == NULL)
		return TRUE;
	bytes = base64_decode_strict (text);
	if (bytes == NULL)
		return malformed (error, "%s: \"%s\" is not base64", function, name);
	if (tags != NULL) {
		data = g_bytes_get_data (bytes, &len);
		if (!esim_tlv_parse_exact (data, len, &tlv, NULL))
			return malformed (error, "%s: \"%s\" is not one DER TLV", function, name);
		for (; *tags != 0 && *tags != tlv.tag; tags++)
			;
		if (*tags == 0)
			return malformed (error, "%s: \"%s\" has tag %X", function, name, tlv.tag);
	}
	*out = g_steal_pointer (&bytes);
	return TRUE;
}

static gboolean
parse_json_get_eim_package (JsonObject *object, EimRequest *request, GError **error)
{
	JsonNode *node;

	if (!member_hex (object, "eidValue", FALSE, "getEimPackage", &request->eid, error) ||
	    !member_hex (object, "rPlmn", FALSE, "getEimPackage", &request->rplmn, error))
		return FALSE;
	node = json_object_get_member (object, "notifyStateChange");
	if (node != NULL) {
		if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
			return malformed (error, "getEimPackage: \"notifyStateChange\" is not a boolean");
		request->notify_state_change = json_node_get_boolean (node);
	}
	node = json_object_get_member (object, "stateChangeCause");
	if (node != NULL) {
		if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
			return malformed (error, "getEimPackage: \"stateChangeCause\" is not an integer");
		request->state_change_cause = json_node_get_int (node);
	}
	if (request->rplmn != NULL && g_bytes_get_size (request->rplmn) != 3)
		return malformed (error, "getEimPackage: \"rPlmn\" is 3 bytes");
	return TRUE;
}

static gboolean
parse_json_handle_notification (JsonObject *object, EimRequest *request, GError **error)
{
	static const EsimTag notification_tags[] = {
		ESIM_TAG_PROFILE_INSTALLATION_RESULT, ESIM_TAG_SEQUENCE, EIM_TAG_COMPACT_PIR,
		EIM_TAG_COMPACT_OSN, 0
	};
	static const EsimTag provide_tags[] = { ESIM_TAG_ESIPA_PROVIDE_EIM_PACKAGE_RESULT, 0 };
	g_autoptr(GBytes) provide = NULL;
	EsimTlv top;
	gsize len;
	const guint8 *data;

	if (!member_base64 (object, "pendingNotification", FALSE, notification_tags, "handleNotification",
	                    &request->pending_notification, error) ||
	    !member_base64 (object, "provideEimPackageResult", FALSE, provide_tags, "handleNotification",
	                    &provide, error))
		return FALSE;
	if ((request->pending_notification == NULL) == (provide == NULL))
		return malformed (error, "handleNotification: one of \"pendingNotification\" and "
		                  "\"provideEimPackageResult\"");
	if (provide != NULL) {
		data = g_bytes_get_data (provide, &len);
		esim_tlv_parse_exact (data, len, &top, NULL);
		return parse_provide (&top, request, error);
	}
	return TRUE;
}

static gboolean
parse_json_function (EsimTestEimFunction function, JsonObject *object, EimRequest *request, GError **error)
{
	static const EsimTag result_tags[] = {
		ESIM_TAG_LOAD_EUICC_PACKAGE, ESIM_TAG_SEQUENCE, ESIM_TAG_IPA_EUICC_DATA_REQUEST,
		ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER, EIM_TAG_RESULT_RESPONSE_ERROR, 0
	};
	static const EsimTag info1_tags[] = { ESIM_TAG_GET_EUICC_INFO1, 0 };
	static const EsimTag bf38_tags[] = { ESIM_TAG_AUTHENTICATE_SERVER, 0 };
	static const EsimTag bf21_tags[] = { ESIM_TAG_PREPARE_DOWNLOAD, 0 };
	static const EsimTag bf41_tags[] = { ESIM_TAG_CANCEL_SESSION, 0 };
	const gchar *name = esim_test_eim_function_name (function);
	GError *local = NULL;

	switch (function) {
	case ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE:
		return parse_json_get_eim_package (object, request, error);
	case ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT:
		return member_hex (object, "eidValue", FALSE, name, &request->eid, error) &&
		       member_base64 (object, "eimPackageResult", TRUE, result_tags, name,
		                      &request->eim_package_result, error);
	case ESIM_TEST_EIM_FUNCTION_HANDLE_NOTIFICATION:
		return parse_json_handle_notification (object, request, error);
	case ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION:
		if (!member_base64 (object, "euiccChallenge", TRUE, NULL, name, &request->euicc_challenge, error) ||
		    !member_base64 (object, "euiccInfo1", FALSE, info1_tags, name, &request->euicc_info1, error) ||
		    !member_hex (object, "eimTransactionId", FALSE, name, &request->eim_transaction_id, error))
			return FALSE;
		request->smdp_address = g_strdup (member_string (object, "smdpAddress", FALSE, name, &local));
		if (local != NULL) {
			g_propagate_error (error, local);
			return FALSE;
		}
		if (g_bytes_get_size (request->euicc_challenge) != ESIM_EUICC_CHALLENGE_LENGTH)
			return malformed (error, "%s: euiccChallenge is 16 bytes", name);
		return TRUE;
	case ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT:
		return member_hex (object, "transactionId", TRUE, name, &request->transaction_id, error) &&
		       member_base64 (object, "authenticateServerResponse", TRUE, bf38_tags, name,
		                      &request->euicc_response, error);
	case ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE:
		return member_hex (object, "transactionId", TRUE, name, &request->transaction_id, error) &&
		       member_base64 (object, "prepareDownloadResponse", TRUE, bf21_tags, name,
		                      &request->euicc_response, error);
	case ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION:
		return member_hex (object, "transactionId", TRUE, name, &request->transaction_id, error) &&
		       member_base64 (object, "cancelSessionResponse", TRUE, bf41_tags, name,
		                      &request->euicc_response, error);
	default:
		return malformed (error, "%s is not an ESipa request to an eIM", name);
	}
}

/* json-glib parses recursively: a body nesting deeper than a request ever
 * does is refused before it reaches the parser (as src/lib/esim-es9p.c does). */
gboolean
eim_json_nesting_is_sane (const gchar *body, gsize len)
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
			if (++depth > REQUEST_MAX_JSON_DEPTH)
				return FALSE;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return TRUE;
}

gboolean
eim_request_parse_json (const gchar *function_name, const guint8 *body, gsize len, EimRequest *request,
                        GError **error)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonNode *root;
	GError *local = NULL;

	request_init (request, ESIM_TEST_EIM_BINDING_JSON);
	request->function = eim_function_from_json_name (function_name);
	if (request->function == ESIM_TEST_EIM_FUNCTION_NONE ||
	    request->function == ESIM_TEST_EIM_FUNCTION_TRANSFER_EIM_PACKAGE)
		return malformed (error, "no ESipa function '%s' for an eIM", function_name);
	if (len > G_MAXSSIZE || !g_utf8_validate ((const gchar *) body, (gssize) len, NULL))
		return malformed (error, "%s: the body is not UTF-8", function_name);
	if (!eim_json_nesting_is_sane ((const gchar *) body, len))
		return malformed (error, "%s: the body nests deeper than %u levels", function_name,
		                  REQUEST_MAX_JSON_DEPTH);
	parser = json_parser_new_immutable ();
	if (!json_parser_load_from_data (parser, (const gchar *) body, (gssize) len, &local)) {
		g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED, "%s: %s", function_name,
		             local->message);
		g_error_free (local);
		return FALSE;
	}
	root = json_parser_get_root (parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
		return malformed (error, "%s: the body is not a JSON object", function_name);
	return parse_json_function (request->function, json_node_get_object (root), request, error);
}

gboolean
esim_test_eim_parse_request_for_fuzzing (EsimTestEimBinding binding, const gchar *json_function,
                                         const guint8 *body, gsize len, GError **error)
{
	EimRequest request;
	gboolean ok;

	if (binding == ESIM_TEST_EIM_BINDING_ASN1)
		ok = eim_request_parse_asn1 (body, len, &request, error);
	else
		ok = eim_request_parse_json (json_function, body, len, &request, error);
	eim_request_clear (&request);
	return ok;
}

/* ------------------------------------------------------------------------ */
/* answers */

void
eim_answer_clear (EimAnswer *answer)
{
	g_clear_pointer (&answer->package, g_bytes_unref);
	g_clear_pointer (&answer->acknowledgements, g_array_unref);
	g_clear_pointer (&answer->transaction_id, g_bytes_unref);
	g_clear_pointer (&answer->server_signed1, g_bytes_unref);
	g_clear_pointer (&answer->server_signature1, g_bytes_unref);
	g_clear_pointer (&answer->ci_pkid, g_bytes_unref);
	g_clear_pointer (&answer->server_certificate, g_bytes_unref);
	g_clear_pointer (&answer->matching_id, g_free);
	g_clear_pointer (&answer->profile_metadata, g_bytes_unref);
	g_clear_pointer (&answer->smdp_signed2, g_bytes_unref);
	g_clear_pointer (&answer->smdp_signature2, g_bytes_unref);
	g_clear_pointer (&answer->smdp_certificate, g_bytes_unref);
	g_clear_pointer (&answer->hash_cc, g_bytes_unref);
	g_clear_pointer (&answer->bound_profile_package, g_bytes_unref);
}

static void
put_tlv (EsimDerWriter *writer, GBytes *tlv)
{
	gsize len;
	const guint8 *data;

	if (tlv == NULL)
		return;
	data = g_bytes_get_data (tlv, &len);
	esim_der_writer_put_raw (writer, data, len);
}

/* The response envelope tag of each function and the tag of its error INTEGER
 * (digest §3.2 "Wire tags of the ESipa responses"). */
static EsimTag
envelope_tag (EsimTestEimFunction function, EsimTag *error_tag)
{
	switch (function) {
	case ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE:
		*error_tag = ESIM_TAG_INTEGER;   /* eimPackageError: universal (BF4F 03 02 01 01) */
		return ESIM_TAG_ESIPA_GET_EIM_PACKAGE;
	case ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT:
		*error_tag = ESIM_TAG_INTEGER;
		return ESIM_TAG_ESIPA_PROVIDE_EIM_PACKAGE_RESULT;
	case ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION:
		*error_tag = EIM_TAG_IA_ERROR;
		return ESIM_TAG_ESIPA_INITIATE_AUTHENTICATION;
	case ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT:
		*error_tag = EIM_TAG_AC_ERROR;
		return ESIM_TAG_ESIPA_AUTHENTICATE_CLIENT;
	case ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE:
		*error_tag = EIM_TAG_GBPP_ERROR;
		return ESIM_TAG_ESIPA_GET_BOUND_PROFILE_PACKAGE;
	case ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION:
		*error_tag = EIM_TAG_CANCEL_ERROR;
		return ESIM_TAG_ESIPA_CANCEL_SESSION;
	default:
		*error_tag = 0;
		return 0;
	}
}

static GBytes *
encode_asn1 (const EimAnswer *answer)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	EsimTag error_tag;
	EsimTag tag = envelope_tag (answer->function, &error_tag);

	esim_der_writer_begin (writer, tag);
	if (answer->error_code >= 0) {
		esim_der_writer_put_int (writer, error_tag, answer->error_code);
		esim_der_writer_end (writer);
		return esim_der_writer_finish (writer);
	}
	switch (answer->function) {
	case ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE:
		put_tlv (writer, answer->package);
		break;
	case ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT:
		/* eimAcknowledgements BF53, or emptyResponse 30 00 */
		if (answer->acknowledgements != NULL && answer->acknowledgements->len > 0) {
			esim_der_writer_begin (writer, ESIM_TAG_EIM_ACKNOWLEDGEMENTS);
			for (guint i = 0; i < answer->acknowledgements->len; i++)
				esim_der_writer_put_int (writer, EIM_TAG_ACK_SEQ_NUMBER,
				                         g_array_index (answer->acknowledgements, gint64, i));
			esim_der_writer_end (writer);
		} else {
			esim_der_writer_put (writer, ESIM_TAG_SEQUENCE, NULL, 0);
		}
		break;
	case ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION:
		/* InitiateAuthenticationOkEsipa A0 { 80 tid, 30 serverSigned1, 5F37,
		 * 04 euiccCiPKIdentifierToBeUsed, 30 serverCertificate, 0C matchingId OPT } */
		esim_der_writer_begin (writer, EIM_TAG_ANSWER_OK);
		esim_der_writer_put_bytes (writer, EIM_TAG_TRANSACTION_ID, answer->transaction_id);
		put_tlv (writer, answer->server_signed1);
		put_tlv (writer, answer->server_signature1);
		put_tlv (writer, answer->ci_pkid);
		put_tlv (writer, answer->server_certificate);
		if (answer->matching_id != NULL)
			esim_der_writer_put_utf8 (writer, EIM_TAG_MATCHING_ID, answer->matching_id);
		esim_der_writer_end (writer);
		break;
	case ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT:
		/* AuthenticateClientOkDPEsipa A0 { 80 tid, BF25 OPT, 30 smdpSigned2, 5F37,
		 * 30 smdpCertificate, 04 hashCc OPT } */
		esim_der_writer_begin (writer, EIM_TAG_ANSWER_OK);
		esim_der_writer_put_bytes (writer, EIM_TAG_TRANSACTION_ID, answer->transaction_id);
		put_tlv (writer, answer->profile_metadata);
		put_tlv (writer, answer->smdp_signed2);
		put_tlv (writer, answer->smdp_signature2);
		put_tlv (writer, answer->smdp_certificate);
		put_tlv (writer, answer->hash_cc);
		esim_der_writer_end (writer);
		break;
	case ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE:
		/* GetBoundProfilePackageOkEsipa A0 { 80 tid, BF36 } */
		esim_der_writer_begin (writer, EIM_TAG_ANSWER_OK);
		esim_der_writer_put_bytes (writer, EIM_TAG_TRANSACTION_ID, answer->transaction_id);
		put_tlv (writer, answer->bound_profile_package);
		esim_der_writer_end (writer);
		break;
	case ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION:
		/* cancelSessionOk: A0 00 */
		esim_der_writer_put (writer, EIM_TAG_ANSWER_OK, NULL, 0);
		break;
	default:
		g_return_val_if_reached (NULL);
	}
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

static void
json_header (JsonBuilder *builder, const gchar *status, gint64 code, const gchar *code_name)
{
	json_builder_set_member_name (builder, "header");
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "functionExecutionStatus");
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "status");
	json_builder_add_string_value (builder, status);
	if (code >= 0) {
		g_autofree gchar *reason = g_strdup_printf ("%" G_GINT64_FORMAT, code);

		json_builder_set_member_name (builder, "statusCodeData");
		json_builder_begin_object (builder);
		json_builder_set_member_name (builder, "reasonCode");
		json_builder_add_string_value (builder, reason);
		json_builder_set_member_name (builder, "message");
		json_builder_add_string_value (builder, code_name);
		json_builder_end_object (builder);
	}
	json_builder_end_object (builder);
	json_builder_end_object (builder);
}

static void
json_base64 (JsonBuilder *builder, const gchar *name, GBytes *bytes, gboolean value_only)
{
	g_autofree gchar *text = NULL;
	gsize len;
	const guint8 *data;
	EsimTlv tlv;

	if (bytes == NULL)
		return;
	data = g_bytes_get_data (bytes, &len);
	if (value_only && esim_tlv_parse_exact (data, len, &tlv, NULL)) {
		data = tlv.value;
		len = tlv.len;
	}
	text = g_base64_encode (data, len);
	json_builder_set_member_name (builder, name);
	json_builder_add_string_value (builder, text);
}

static void
json_hex (JsonBuilder *builder, const gchar *name, GBytes *bytes)
{
	g_autofree gchar *text = NULL;

	if (bytes == NULL)
		return;
	text = esim_hex_encode_bytes (bytes);
	json_builder_set_member_name (builder, name);
	json_builder_add_string_value (builder, text);
}

static const gchar *
json_error_member (EsimTestEimFunction function)
{
	switch (function) {
	case ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT:
		return "provideEimPackageResultError";
	case ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION:
		return "initiateAuthenticationErrorEsipa";
	case ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT:
		return "authenticateClientErrorEsipa";
	case ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE:
		return "getBoundProfilePackageErrorEsipa";
	case ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION:
		return "cancelSessionError";
	default:
		return "error";
	}
}

static const gchar *
package_member (EsimTestEimPackageKind kind)
{
	switch (kind) {
	case ESIM_TEST_EIM_PACKAGE_DATA_REQUEST:
		return "ipaEuiccDataRequest";
	case ESIM_TEST_EIM_PACKAGE_DOWNLOAD:
		return "profileDownloadTriggerRequest";
	case ESIM_TEST_EIM_PACKAGE_ACKNOWLEDGEMENTS:
		return "eimAcknowledgements";
	case ESIM_TEST_EIM_PACKAGE_EUICC:
	default:
		return "euiccPackageRequest";
	}
}

static void
encode_json_ok (JsonBuilder *builder, const EimAnswer *answer)
{
	switch (answer->function) {
	case ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE:
		json_base64 (builder, package_member (answer->package_kind), answer->package, FALSE);
		break;
	case ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT:
		if (answer->acknowledgements != NULL && answer->acknowledgements->len > 0) {
			g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
			g_autoptr(GBytes) acks = NULL;

			esim_der_writer_begin (writer, ESIM_TAG_EIM_ACKNOWLEDGEMENTS);
			for (guint i = 0; i < answer->acknowledgements->len; i++)
				esim_der_writer_put_int (writer, EIM_TAG_ACK_SEQ_NUMBER,
				                         g_array_index (answer->acknowledgements, gint64, i));
			esim_der_writer_end (writer);
			acks = esim_der_writer_finish (writer);
			json_base64 (builder, "eimAcknowledgements", acks, FALSE);
		}
		break;
	case ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION:
		json_hex (builder, "transactionId", answer->transaction_id);
		json_base64 (builder, "serverSigned1", answer->server_signed1, FALSE);
		json_base64 (builder, "serverSignature1", answer->server_signature1, TRUE);
		json_base64 (builder, "euiccCiPKIdentifierToBeUsed", answer->ci_pkid, TRUE);
		json_base64 (builder, "serverCertificate", answer->server_certificate, FALSE);
		if (answer->matching_id != NULL) {
			json_builder_set_member_name (builder, "matchingId");
			json_builder_add_string_value (builder, answer->matching_id);
		}
		break;
	case ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT:
		json_hex (builder, "transactionId", answer->transaction_id);
		json_base64 (builder, "profileMetadata", answer->profile_metadata, FALSE);
		json_base64 (builder, "smdpSigned2", answer->smdp_signed2, FALSE);
		json_base64 (builder, "smdpSignature2", answer->smdp_signature2, TRUE);
		json_base64 (builder, "smdpCertificate", answer->smdp_certificate, FALSE);
		json_base64 (builder, "hashCc", answer->hash_cc, TRUE);
		break;
	case ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE:
		json_hex (builder, "transactionId", answer->transaction_id);
		json_base64 (builder, "boundProfilePackage", answer->bound_profile_package, FALSE);
		break;
	case ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION:
	default:
		/* §6.4.1.8: a header only */
		break;
	}
}

static GBytes *
encode_json (const EimAnswer *answer)
{
	g_autoptr(JsonBuilder) builder = json_builder_new ();
	g_autoptr(JsonGenerator) generator = json_generator_new ();
	g_autoptr(JsonNode) root = NULL;
	gchar *text;
	gsize len;

	json_builder_begin_object (builder);
	if (answer->error_code >= 0 && answer->function == ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE) {
		json_header (builder, "Executed-Success", -1, NULL);
		json_builder_set_member_name (builder, "eimPackageError");
		json_builder_add_int_value (builder, answer->error_code);
	} else if (answer->error_code >= 0) {
		g_autofree gchar *name = g_strdup_printf ("%s(%" G_GINT64_FORMAT ")",
		                                          json_error_member (answer->function), answer->error_code);

		json_header (builder, "Failed", answer->error_code, name);
		json_builder_set_member_name (builder, json_error_member (answer->function));
		json_builder_add_int_value (builder, answer->error_code);
	} else {
		json_header (builder, "Executed-Success", -1, NULL);
		encode_json_ok (builder, answer);
	}
	json_builder_end_object (builder);
	root = json_builder_get_root (builder);
	json_generator_set_root (generator, root);
	text = json_generator_to_data (generator, &len);
	return g_bytes_new_take (text, len);
}

GBytes *
eim_answer_encode (const EimAnswer *answer, EsimTestEimBinding binding, GError **error)
{
	if (answer->function == ESIM_TEST_EIM_FUNCTION_HANDLE_NOTIFICATION)
		return NULL;
	if (binding == ESIM_TEST_EIM_BINDING_ASN1)
		return encode_asn1 (answer);
	return encode_json (answer);
}
