/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ESipa JSON binding (esim-esipa-json.h).  Member names, per function, with
 * their sources:
 *   getEimPackage: request eidValue, notifyStateChange (true),
 *     stateChangeCause (number) — Iapyx esipa_json.c ipa_esipa_json_enc_get_eim_pkg_req;
 *     answer euiccPackageRequest | ipaEuiccDataRequest |
 *     profileDownloadTriggerRequest (base64) | eimPackageError (number) —
 *     Iapyx ipa_esipa_json_dec_get_eim_pkg_res, openiotrsp gsmaGetEimPackageResponse.
 *   provideEimPackageResult: request eidValue, eimPackageResult (base64 of the
 *     EimPackageResult) — Iapyx, openiotrsp gsmaProvideEimPackageResultRequest;
 *     answer eimAcknowledgements (base64 BF53) — both; the error number is
 *     provideEimPackageResultError after the module, or eimPackageError as
 *     openiotrsp (gsmaProvideResponse) names it.
 *   handleNotification: pendingNotification (V8: openiotrsp gsma_json_test.go)
 *     or provideEimPackageResult (openiotrsp gsmaHandleNotificationRequest).
 *   initiateAuthentication, authenticateClient, getBoundProfilePackage,
 *     cancelSession: the ES9+ member names (SGP.22 §6.5.2), which Iapyx uses,
 *     plus matchingId and ctxParams1; euiccCiPKIdentifierToBeUsed is the
 *     ESipa name (Iapyx), euiccCiPKIdToBeUsed the ES9+ one, both accepted.
 *   transferEimPackage: euiccPackageResult | ePRAndNotifications
 *     {euiccPackageResult, notificationList} | ipaEuiccDataResponse |
 *     eimPackageError — Iapyx ipa_esipa_json_enc_transfer_eim_pkg_rsp.
 *     eimPackageReceived and the *WithCid forms appear in no public source;
 *     they are written after the module's names [unverified].
 */

#define G_LOG_DOMAIN "esim"

#include <gio/gio.h>

#include "esim-esipa-json.h"
#include "esim-esipa-private.h"
#include "esim-json-private.h"
#include "esim-util.h"

G_STATIC_ASSERT (ESIM_ESIPA_ERROR_MALFORMED == ESIM_JSON_ERROR_MALFORMED);

#define DOMAIN ESIM_ESIPA_ERROR

/* ---- helpers ---- */

static gchar *
finish_object (JsonBuilder *builder)
{
	json_builder_end_object (builder);
	return esim_json_builder_to_text (builder);
}

static void
add_int (JsonBuilder *builder, const gchar *name, gint64 value)
{
	json_builder_set_member_name (builder, name);
	json_builder_add_int_value (builder, value);
}

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
	g_set_error_literal (error, DOMAIN, ESIM_ESIPA_ERROR_MALFORMED, message);
	return FALSE;
}

/* A non-negative JSON integer member (eimPackageError…). */
static gboolean
get_code (JsonObject *object, const gchar *name, gint *out, GError **error)
{
	JsonNode *node = json_object_get_member (object, name);
	gint64 value;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
	    json_node_get_value_type (node) != G_TYPE_INT64)
		return malformed (error, "answer's \"%s\" is not an integer", name);
	value = json_node_get_int (node);
	if (value < 0 || value > G_MAXINT)
		return malformed (error, "answer's \"%s\" (%" G_GINT64_FORMAT ") is out of range",
		                  name, value);
	*out = (gint) value;
	return TRUE;
}

/* An optional base64 TLV member: TRUE with *out NULL when absent. */
static gboolean
get_optional_tlv (JsonObject *object, const gchar *name, EsimTag tag, GBytes **out,
                  GError **error)
{
	*out = NULL;
	if (!esim_json_has_member (object, name))
		return TRUE;
	*out = esim_json_get_tlv (object, name, tag, DOMAIN, error);
	return *out != NULL;
}

/*
 * An OCTET STRING member that the ASN.1 binding carries as a TLV of @tag
 * (serverSignature1 and smdpSignature2 5F37, euiccCiPKIdentifierToBeUsed and
 * hashCc 04), as that whole TLV for the card.  Two forms are in use: base64
 * of the whole TLV, and of the value alone (osmocom osmo-ttcn3-hacks
 * library/euicc/esipa_Types_JSON.ttcn; the Iapyx onomondo-ipa client,
 * src/ipa/libipa/esipa_json.c, reads serverSignature1 and
 * euiccCiPKIdentifierToBeUsed so).  Both are accepted, told apart by length:
 * @value_len bytes is the value alone (the TLV form is longer by its tag and
 * length), wrapped here; anything else must be the whole TLV.  Absent: TRUE
 * with *out NULL unless @mandatory.
 */
static gboolean
get_octet_string_tlv (JsonObject *object, const gchar *name, EsimTag tag, gsize value_len,
                      gboolean mandatory, GBytes **out, GError **error)
{
	g_autoptr(EsimDerWriter) writer = NULL;
	g_autoptr(GBytes) bytes = NULL;
	const gchar *text;

	*out = NULL;
	if (!mandatory && !esim_json_has_member (object, name))
		return TRUE;
	if ((text = esim_json_get_string (object, name, TRUE, DOMAIN, error)) == NULL)
		return FALSE;
	bytes = esim_base64_decode_strict (text, NULL);
	if (bytes == NULL || g_bytes_get_size (bytes) != value_len) {
		*out = esim_json_get_tlv (object, name, tag, DOMAIN, error);
		return *out != NULL;
	}
	writer = esim_der_writer_new ();
	esim_der_writer_put (writer, tag, g_bytes_get_data (bytes, NULL), value_len);
	*out = esim_der_writer_finish (writer);
	return TRUE;
}

static JsonObject *
parse_answer (JsonParser *parser, const gchar *body, gsize len, EsimEs9pStatus **status,
              GError **error)
{
	JsonObject *root = esim_json_parse_root (parser, body, len, DOMAIN, error);

	if (root == NULL ||
	    !esim_json_check_header (root, FALSE, DOMAIN, ESIM_ESIPA_ERROR_REFUSED,
	                             ESIM_ESIPA_ERROR_EXPIRED, status, error))
		return NULL;
	return root;
}

/* ---- requests ---- */

gchar *
esim_esipa_json_build_get_eim_package (const EsimGetEimPackageRequest *request, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new ();
	g_autoptr(GBytes) check = NULL;

	g_return_val_if_fail (request != NULL, NULL);

	/* the same checks as the ASN.1 binding's */
	if ((check = esim_esipa_encode_get_eim_package (request, error)) == NULL)
		return NULL;
	json_builder_begin_object (builder);
	esim_json_add_string (builder, "eidValue", request->eid);
	if (request->notify_state_change) {
		json_builder_set_member_name (builder, "notifyStateChange");
		json_builder_add_boolean_value (builder, TRUE);
	}
	if (request->state_change_cause != -1)
		add_int (builder, "stateChangeCause", request->state_change_cause);
	return finish_object (builder);
}

gchar *
esim_esipa_json_build_provide_eim_package_result (const gchar *eid,
                                                  const EsimEimPackageResult *result,
                                                  GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new ();
	g_autoptr(GBytes) choice = NULL;
	guint8 eid_bytes[ESIM_EID_LENGTH];

	if (eid != NULL && !esim_esipa_check_eid (eid, eid_bytes, error))
		return NULL;
	if ((choice = esim_esipa_encode_eim_package_result (result, error)) == NULL)
		return NULL;
	json_builder_begin_object (builder);
	if (eid != NULL)
		esim_json_add_string (builder, "eidValue", eid);
	esim_json_add_base64 (builder, "eimPackageResult", choice);
	return finish_object (builder);
}

gchar *
esim_esipa_json_build_handle_notification (GBytes *pending_notification, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new ();

	if (!esim_esipa_check_pending_notification (pending_notification, error))
		return NULL;
	json_builder_begin_object (builder);
	esim_json_add_base64 (builder, "pendingNotification", pending_notification);
	return finish_object (builder);
}

gchar *
esim_esipa_json_build_handle_notification_result (const gchar *eid,
                                                  const EsimEimPackageResult *result,
                                                  GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new ();
	g_autoptr(GBytes) provide = NULL;

	if ((provide = esim_esipa_encode_provide_eim_package_result (eid, result, error)) == NULL)
		return NULL;
	json_builder_begin_object (builder);
	esim_json_add_base64 (builder, "provideEimPackageResult", provide);
	return finish_object (builder);
}

gchar *
esim_esipa_json_build_initiate_authentication (GBytes *euicc_challenge, GBytes *euicc_info1,
                                               const gchar *smdp_address,
                                               const gchar *eim_transaction_id, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new ();
	g_autoptr(GBytes) check = NULL;

	check = esim_esipa_encode_initiate_authentication (euicc_challenge, euicc_info1,
	                                                   smdp_address, eim_transaction_id, error);
	if (check == NULL)
		return NULL;
	json_builder_begin_object (builder);
	/* the challenge's 16 bytes, not a TLV (as ES9+ and Iapyx send it) */
	esim_json_add_base64 (builder, "euiccChallenge", euicc_challenge);
	if (euicc_info1 != NULL)
		esim_json_add_base64 (builder, "euiccInfo1", euicc_info1);
	if (smdp_address != NULL)
		esim_json_add_string (builder, "smdpAddress", smdp_address);
	if (eim_transaction_id != NULL) {
		g_autofree gchar *upper = g_ascii_strup (eim_transaction_id, -1);

		esim_json_add_string (builder, "eimTransactionId", upper);
	}
	return finish_object (builder);
}

/* {"transactionId": hex, @name: base64 of @tlv (one TLV tagged @tag)} */
static gchar *
build_transaction_and_tlv (const gchar *transaction_id, const gchar *name, GBytes *tlv,
                           EsimTag tag, const gchar *what, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new ();
	g_autoptr(GBytes) id = NULL;
	g_autofree gchar *upper = NULL;

	if ((id = esim_esipa_check_transaction_id (transaction_id, "the transactionId",
	                                           error)) == NULL ||
	    !esim_esipa_check_tlv (tlv, &tag, 1, what, NULL, error))
		return NULL;
	upper = g_ascii_strup (transaction_id, -1);
	json_builder_begin_object (builder);
	esim_json_add_string (builder, "transactionId", upper);
	esim_json_add_base64 (builder, name, tlv);
	return finish_object (builder);
}

gchar *
esim_esipa_json_build_authenticate_client (const gchar *transaction_id,
                                           GBytes *authenticate_server_response, GError **error)
{
	return build_transaction_and_tlv (transaction_id, "authenticateServerResponse",
	                                  authenticate_server_response,
	                                  ESIM_TAG_AUTHENTICATE_SERVER,
	                                  "the AuthenticateServerResponse", error);
}

gchar *
esim_esipa_json_build_get_bound_profile_package (const gchar *transaction_id,
                                                 GBytes *prepare_download_response,
                                                 GError **error)
{
	return build_transaction_and_tlv (transaction_id, "prepareDownloadResponse",
	                                  prepare_download_response, ESIM_TAG_PREPARE_DOWNLOAD,
	                                  "the PrepareDownloadResponse", error);
}

gchar *
esim_esipa_json_build_cancel_session (const gchar *transaction_id, GBytes *cancel_session_response,
                                      GError **error)
{
	/* the card's CancelSessionResponse whole, as in ES9+ (the ASN.1 binding's
	 * A1 re-wrapping is a matter of its automatic tags only) */
	return build_transaction_and_tlv (transaction_id, "cancelSessionResponse",
	                                  cancel_session_response, ESIM_TAG_CANCEL_SESSION,
	                                  "the CancelSessionResponse", error);
}

/* PendingNotificationList as a type of its own is an untagged SEQUENCE OF:
 * 30 { … }, which is what Iapyx sends as notificationList. */
static GBytes *
encode_notification_list (GPtrArray *notifications, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	guint n = notifications != NULL ? notifications->len : 0;

	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	for (guint i = 0; i < n; i++) {
		GBytes *notification = g_ptr_array_index (notifications, i);

		if (!esim_esipa_check_pending_notification (notification, error))
			return NULL;
		esim_der_writer_put_raw (writer, g_bytes_get_data (notification, NULL),
		                         g_bytes_get_size (notification));
	}
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

static gboolean
add_transfer_result (JsonBuilder *builder, const EsimEimPackageResult *result, GError **error)
{
	g_autoptr(GBytes) list = NULL;

	switch (result->kind) {
	case ESIM_EIM_PACKAGE_RESULT_EUICC_PACKAGE_RESULT:
		esim_json_add_base64 (builder, "euiccPackageResult", result->euicc_package_result);
		return TRUE;
	case ESIM_EIM_PACKAGE_RESULT_EPR_AND_NOTIFICATIONS:
		if ((list = encode_notification_list (result->notifications, error)) == NULL)
			return FALSE;
		json_builder_set_member_name (builder, "ePRAndNotifications");
		json_builder_begin_object (builder);
		esim_json_add_base64 (builder, "euiccPackageResult", result->euicc_package_result);
		esim_json_add_base64 (builder, "notificationList", list);
		json_builder_end_object (builder);
		return TRUE;
	default:
		esim_json_add_base64 (builder, "ipaEuiccDataResponse", result->ipa_euicc_data_response);
		return TRUE;
	}
}

static void
add_correlation_id (JsonBuilder *builder, const EsimTransferEimPackageResponse *response)
{
	if (response->eim_transaction_id != NULL) {
		g_autofree gchar *upper = g_ascii_strup (response->eim_transaction_id, -1);

		esim_json_add_string (builder, "eimTransactionId", upper);
	} else if (response->eid != NULL) {
		esim_json_add_string (builder, "eidValue", response->eid);
	}
}

gchar *
esim_esipa_json_build_transfer_eim_package_response (const EsimTransferEimPackageResponse *response,
                                                     GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new ();
	g_autoptr(GBytes) check = NULL;

	g_return_val_if_fail (response != NULL, NULL);

	/* every argument checked once, by the ASN.1 encoder */
	if ((check = esim_esipa_encode_transfer_eim_package_response (response, error)) == NULL)
		return NULL;
	json_builder_begin_object (builder);
	switch (response->kind) {
	case ESIM_TRANSFER_RESPONSE_RESULT:
		if (!add_transfer_result (builder, response->result, error))
			return NULL;
		break;
	case ESIM_TRANSFER_RESPONSE_RECEIVED:
		if (response->with_cid) {
			json_builder_set_member_name (builder, "eimPackageReceivedWithCid");
			json_builder_begin_object (builder);
			add_correlation_id (builder, response);
			json_builder_end_object (builder);
		} else {
			json_builder_set_member_name (builder, "eimPackageReceived");
			json_builder_add_boolean_value (builder, TRUE);
		}
		break;
	default:
		if (response->with_cid) {
			json_builder_set_member_name (builder, "eimPackageErrorWithCid");
			json_builder_begin_object (builder);
			add_correlation_id (builder, response);
			add_int (builder, "eimPackageError", response->error_code);
			json_builder_end_object (builder);
		} else {
			add_int (builder, "eimPackageError", response->error_code);
		}
		break;
	}
	return finish_object (builder);
}

/* ---- answers ---- */

typedef struct {
	const gchar *member;
	EsimTag      tag;
} PackageMember;

/* Exactly one of @members, decoded as the ASN.1 binding decodes it. */
static EsimEimPackage *
parse_package_members (JsonObject *root, const PackageMember *members, guint n_members,
                       gboolean transfer, GError **error)
{
	g_autoptr(GBytes) bytes = NULL;
	const PackageMember *found = NULL;
	EsimTlv tlv;

	for (guint i = 0; i < n_members; i++) {
		if (!esim_json_has_member (root, members[i].member))
			continue;
		if (found != NULL) {
			malformed (error, "answer carries both \"%s\" and \"%s\"", found->member,
			           members[i].member);
			return NULL;
		}
		found = &members[i];
	}
	if (found == NULL)
		return NULL;
	if ((bytes = esim_json_get_tlv (root, found->member, found->tag, DOMAIN, error)) == NULL)
		return NULL;
	/* get_tlv checked it is exactly one TLV */
	esim_tlv_parse_exact (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &tlv, NULL);
	return esim_esipa_package_from_tlv (&tlv, transfer, error);
}

EsimEimPackage *
esim_esipa_json_parse_get_eim_package_response (const gchar *body, gsize len, GError **error)
{
	static const PackageMember members[] = {
		{ "euiccPackageRequest", ESIM_TAG_LOAD_EUICC_PACKAGE },
		{ "ipaEuiccDataRequest", ESIM_TAG_IPA_EUICC_DATA_REQUEST },
		{ "profileDownloadTriggerRequest", ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER },
	};
	g_autoptr(JsonParser) parser = json_parser_new_immutable ();
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GError) local = NULL;
	JsonObject *root;
	gint code = 0;

	if ((root = parse_answer (parser, body, len, NULL, &local)) == NULL) {
		g_propagate_prefixed_error (error, g_steal_pointer (&local), "GetEimPackageResponse: ");
		return NULL;
	}
	package = parse_package_members (root, members, G_N_ELEMENTS (members), FALSE, &local);
	if (local != NULL) {
		g_propagate_prefixed_error (error, g_steal_pointer (&local), "GetEimPackageResponse: ");
		return NULL;
	}
	if (esim_json_has_member (root, "eimPackageError")) {
		if (!get_code (root, "eimPackageError", &code, &local)) {
			g_propagate_prefixed_error (error, g_steal_pointer (&local),
			                            "GetEimPackageResponse: ");
			return NULL;
		}
		/* openiotrsp always writes "eimPackageError" (0 next to a package:
		 * gsmaGetEimPackageResponse has no omitempty); 0 names no error */
		if (package != NULL && code != 0) {
			malformed (error, "GetEimPackageResponse: a package and eimPackageError %d", code);
			return NULL;
		}
		if (package == NULL) {
			package = g_new0 (EsimEimPackage, 1);
			package->kind = ESIM_EIM_PACKAGE_ERROR;
			package->error_code = code;
		}
	}
	if (package == NULL) {
		malformed (error, "GetEimPackageResponse: neither a package nor eimPackageError");
		return NULL;
	}
	return g_steal_pointer (&package);
}

EsimEimPackage *
esim_esipa_json_parse_transfer_eim_package_request (const gchar *body, gsize len, GError **error)
{
	static const PackageMember members[] = {
		{ "euiccPackageRequest", ESIM_TAG_LOAD_EUICC_PACKAGE },
		{ "ipaEuiccDataRequest", ESIM_TAG_IPA_EUICC_DATA_REQUEST },
		{ "eimAcknowledgements", ESIM_TAG_EIM_ACKNOWLEDGEMENTS },
		{ "profileDownloadTriggerRequest", ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER },
	};
	g_autoptr(JsonParser) parser = json_parser_new_immutable ();
	g_autoptr(GError) local = NULL;
	EsimEimPackage *package = NULL;
	JsonObject *root = esim_json_parse_root (parser, body, len, DOMAIN, &local);

	if (root != NULL) {
		package = parse_package_members (root, members, G_N_ELEMENTS (members), TRUE, &local);
		if (package == NULL && local == NULL)
			malformed (&local, "no eIM package");
	}
	if (package == NULL)
		g_propagate_prefixed_error (error, g_steal_pointer (&local),
		                            "TransferEimPackageRequest: ");
	return package;
}

EsimProvideResultResponse *
esim_esipa_json_parse_provide_eim_package_result_response (const gchar *body, gsize len,
                                                          GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable ();
	g_autoptr(EsimProvideResultResponse) response = g_new0 (EsimProvideResultResponse, 1);
	g_autoptr(GBytes) acks = NULL;
	g_autoptr(GError) local = NULL;
	const gchar *error_member = NULL;
	JsonObject *root;

	response->kind = ESIM_PROVIDE_RESULT_EMPTY;
	if (len == 0)
		return g_steal_pointer (&response);
	if ((root = parse_answer (parser, body, len, NULL, &local)) == NULL ||
	    !get_optional_tlv (root, "eimAcknowledgements", ESIM_TAG_EIM_ACKNOWLEDGEMENTS, &acks,
	                       &local))
		goto fail;
	if (esim_json_has_member (root, "provideEimPackageResultError"))
		error_member = "provideEimPackageResultError";
	if (esim_json_has_member (root, "eimPackageError")) {
		if (error_member != NULL) {
			malformed (&local, "two error codes");
			goto fail;
		}
		error_member = "eimPackageError";
	}
	if (acks != NULL && error_member != NULL) {
		malformed (&local, "eimAcknowledgements and %s", error_member);
		goto fail;
	}
	if (acks != NULL) {
		response->kind = ESIM_PROVIDE_RESULT_ACKNOWLEDGEMENTS;
		if ((response->acknowledgements = esim_esipa_parse_eim_acknowledgements (acks,
		                                                                        &local)) == NULL)
			goto fail;
	} else if (error_member != NULL) {
		response->kind = ESIM_PROVIDE_RESULT_ERROR;
		if (!get_code (root, error_member, &response->error_code, &local))
			goto fail;
	}
	return g_steal_pointer (&response);

fail:
	g_propagate_prefixed_error (error, g_steal_pointer (&local),
	                            "ProvideEimPackageResultResponse: ");
	return NULL;
}

/* ---- the download relay ---- */

static EsimInitiateAuthenticationOk *
parse_initiate_authentication_ok (JsonObject *root, GError **error)
{
	g_autoptr(EsimInitiateAuthenticationOk) ok = g_new0 (EsimInitiateAuthenticationOk, 1);
	const gchar *pkid_member = "euiccCiPKIdentifierToBeUsed";
	const gchar *matching_id;
	GError *local = NULL;

	if (esim_json_has_member (root, "transactionId") &&
	    (ok->transaction_id = esim_json_get_transaction_id (root, "transactionId", DOMAIN,
	                                                        error)) == NULL)
		return NULL;
	if (!esim_json_has_member (root, pkid_member))
		pkid_member = "euiccCiPKIdToBeUsed";
	if ((ok->server_signed1 = esim_json_get_tlv (root, "serverSigned1", ESIM_TAG_SEQUENCE,
	                                             DOMAIN, error)) == NULL ||
	    !get_octet_string_tlv (root, "serverSignature1", ESIM_TAG_SIGNATURE,
	                           ESIM_SIGNATURE_LENGTH, TRUE, &ok->server_signature1, error) ||
	    !get_octet_string_tlv (root, pkid_member, ESIM_TAG_SUBJECT_KEY_ID,
	                           ESIM_SUBJECT_KEY_ID_LENGTH, TRUE, &ok->euicc_ci_pkid_to_be_used,
	                           error) ||
	    (ok->server_certificate = esim_json_get_tlv (root, "serverCertificate",
	                                                 ESIM_TAG_SEQUENCE, DOMAIN,
	                                                 error)) == NULL ||
	    !get_optional_tlv (root, "ctxParams1", ESIM_TAG_CTX_PARAMS_COMMON_AUTH,
	                       &ok->ctx_params1, error))
		return NULL;
	if (esim_json_has_member (root, "matchingId")) {
		if ((matching_id = esim_json_get_string (root, "matchingId", TRUE, DOMAIN,
		                                         error)) == NULL)
			return NULL;
		ok->matching_id = g_strdup (matching_id);
	}
	if (ok->transaction_id == NULL) {
		ok->transaction_id = esim_esipa_transaction_id_of_server_signed1 (ok->server_signed1,
		                                                                  &local);
		if (ok->transaction_id == NULL) {
			malformed (error, "serverSigned1: %s", local->message);
			g_error_free (local);
			return NULL;
		}
	}
	return g_steal_pointer (&ok);
}

EsimInitiateAuthenticationOk *
esim_esipa_json_parse_initiate_authentication_response (const gchar *body, gsize len,
                                                        EsimEs9pStatus **status, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable ();
	g_autoptr(GError) local = NULL;
	EsimInitiateAuthenticationOk *ok = NULL;
	JsonObject *root = parse_answer (parser, body, len, status, &local);

	if (root != NULL)
		ok = parse_initiate_authentication_ok (root, &local);
	if (ok == NULL)
		g_propagate_prefixed_error (error, g_steal_pointer (&local), "InitiateAuthentication: ");
	return ok;
}

static EsimAuthenticateClientOk *
parse_authenticate_client_ok (JsonObject *root, GError **error)
{
	g_autoptr(EsimAuthenticateClientOk) ok = g_new0 (EsimAuthenticateClientOk, 1);
	g_autoptr(EsimSmdpSigned2) signed2 = NULL;
	g_autoptr(GBytes) trigger = NULL;
	GError *local = NULL;

	if (esim_json_has_member (root, "transactionId") &&
	    (ok->transaction_id = esim_json_get_transaction_id (root, "transactionId", DOMAIN,
	                                                        error)) == NULL)
		return NULL;
	if (!esim_json_has_member (root, "smdpSigned2")) {
		/* authenticateClientOkDSEsipa [unverified in JSON: no public source
		 * shows it; the module's member names are used] */
		ok->from_smds = TRUE;
		if (ok->transaction_id == NULL) {
			malformed (error, "answer lacks \"transactionId\"");
			return NULL;
		}
		if ((trigger = esim_json_get_tlv (root, "profileDownloadTrigger",
		                                  ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER, DOMAIN,
		                                  error)) == NULL ||
		    (ok->profile_download_trigger =
		             esim_esipa_parse_profile_download_trigger (trigger, error)) == NULL)
			return NULL;
		return g_steal_pointer (&ok);
	}
	if (!get_optional_tlv (root, "profileMetadata", ESIM_TAG_PROFILE_METADATA,
	                       &ok->profile_metadata, error) ||
	    (ok->smdp_signed2 = esim_json_get_tlv (root, "smdpSigned2", ESIM_TAG_SEQUENCE, DOMAIN,
	                                           error)) == NULL ||
	    !get_octet_string_tlv (root, "smdpSignature2", ESIM_TAG_SIGNATURE, ESIM_SIGNATURE_LENGTH,
	                           TRUE, &ok->smdp_signature2, error) ||
	    (ok->smdp_certificate = esim_json_get_tlv (root, "smdpCertificate", ESIM_TAG_SEQUENCE,
	                                               DOMAIN, error)) == NULL ||
	    !get_octet_string_tlv (root, "hashCc", ESIM_TAG_HASH_CC, ESIM_HASH_CC_LENGTH, FALSE,
	                           &ok->hash_cc, error))
		return NULL;
	if (ok->hash_cc != NULL && g_bytes_get_size (ok->hash_cc) != 2 + ESIM_HASH_CC_LENGTH) {
		malformed (error, "answer's \"hashCc\" is not %d bytes", ESIM_HASH_CC_LENGTH);
		return NULL;
	}
	if (ok->transaction_id == NULL) {
		if ((signed2 = esim_es10_parse_smdp_signed2 (ok->smdp_signed2, &local)) == NULL) {
			malformed (error, "smdpSigned2: %s", local->message);
			g_error_free (local);
			return NULL;
		}
		ok->transaction_id = g_steal_pointer (&signed2->transaction_id);
	}
	return g_steal_pointer (&ok);
}

EsimAuthenticateClientOk *
esim_esipa_json_parse_authenticate_client_response (const gchar *body, gsize len,
                                                    EsimEs9pStatus **status, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable ();
	g_autoptr(GError) local = NULL;
	EsimAuthenticateClientOk *ok = NULL;
	JsonObject *root = parse_answer (parser, body, len, status, &local);

	if (root != NULL)
		ok = parse_authenticate_client_ok (root, &local);
	if (ok == NULL)
		g_propagate_prefixed_error (error, g_steal_pointer (&local), "AuthenticateClient: ");
	return ok;
}

EsimBoundProfilePackageOk *
esim_esipa_json_parse_get_bound_profile_package_response (const gchar *body, gsize len,
                                                          EsimEs9pStatus **status,
                                                          GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable ();
	g_autoptr(EsimBoundProfilePackageOk) ok = g_new0 (EsimBoundProfilePackageOk, 1);
	g_autoptr(GError) local = NULL;
	JsonObject *root = parse_answer (parser, body, len, status, &local);

	if (root == NULL ||
	    (esim_json_has_member (root, "transactionId") &&
	     (ok->transaction_id = esim_json_get_transaction_id (root, "transactionId", DOMAIN,
	                                                         &local)) == NULL) ||
	    (ok->bound_profile_package = esim_json_get_tlv (root, "boundProfilePackage",
	                                                    ESIM_TAG_BOUND_PROFILE_PACKAGE, DOMAIN,
	                                                    &local)) == NULL) {
		g_propagate_prefixed_error (error, g_steal_pointer (&local), "GetBoundProfilePackage: ");
		return NULL;
	}
	if (ok->transaction_id == NULL)
		ok->transaction_id = esim_esipa_transaction_id_of_bpp (ok->bound_profile_package);
	return g_steal_pointer (&ok);
}

gboolean
esim_esipa_json_parse_handle_notification_response (const gchar *body, gsize len,
                                                    EsimEs9pStatus **status, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable ();
	g_autoptr(GError) local = NULL;

	if (len == 0)
		return TRUE;
	if (parse_answer (parser, body, len, status, &local) == NULL) {
		g_propagate_prefixed_error (error, g_steal_pointer (&local), "HandleNotification: ");
		return FALSE;
	}
	return TRUE;
}

gboolean
esim_esipa_json_parse_cancel_session_response (const gchar *body, gsize len,
                                               EsimEs9pStatus **status, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable ();
	g_autoptr(GError) local = NULL;

	if (len == 0)
		return TRUE;
	if (parse_answer (parser, body, len, status, &local) == NULL) {
		g_propagate_prefixed_error (error, g_steal_pointer (&local), "CancelSession: ");
		return FALSE;
	}
	return TRUE;
}
