/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ESipa, IPA → eIM: the ASN.1 messages the IPA sends and the results it
 * builds (esim-esipa.h).  Tags are the v1.2 module's; where automatic tagging
 * makes a byte non-obvious, the comment says why.  Everything the card signed
 * is checked for its tag and copied unchanged.
 */

#define G_LOG_DOMAIN "esim"

#include <gio/gio.h>
#include <string.h>

#include "esim-activation-code.h"
#include "esim-esipa-private.h"
#include "esim-util.h"

/* ---- input checks (shared with the JSON binding) ---- */

static gboolean
invalid_argument (GError **error, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid_argument (GError **error, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *message = NULL;

	va_start (args, format);
	message = g_strdup_vprintf (format, args);
	va_end (args);
	g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, message);
	return FALSE;
}

gboolean
esim_esipa_check_eid (const gchar *eid, guint8 out[16], GError **error)
{
	if (eid == NULL || !esim_eid_to_bytes (eid, out, NULL))
		return invalid_argument (error, "the EID must be 32 decimal digits");
	return TRUE;
}

GBytes *
esim_esipa_check_transaction_id (const gchar *hex, const gchar *what, GError **error)
{
	g_autoptr(GBytes) bytes = NULL;

	if (hex != NULL && esim_transaction_id_is_valid (hex))
		bytes = esim_hex_decode (hex, NULL);
	if (bytes == NULL) {
		invalid_argument (error, "%s must be 1 to %d bytes of hex", what,
		                  ESIM_TRANSACTION_ID_MAX_LENGTH);
		return NULL;
	}
	return g_steal_pointer (&bytes);
}

gboolean
esim_esipa_check_tlv (GBytes *tlv, const EsimTag *tags, guint n_tags, const gchar *what,
                      EsimTlv *out, GError **error)
{
	g_autoptr(GError) local = NULL;
	const guint8 *data;
	gsize len = 0;
	EsimTlv parsed;

	if (tlv == NULL)
		return invalid_argument (error, "%s is missing", what);
	data = g_bytes_get_data (tlv, &len);
	if (len == 0 || !esim_tlv_parse_exact (data, len, &parsed, &local))
		return invalid_argument (error, "%s is not one DER element: %s", what,
		                         local != NULL ? local->message : "empty");
	for (guint i = 0; i < n_tags; i++) {
		if (parsed.tag == tags[i]) {
			if (out != NULL)
				*out = parsed;
			return TRUE;
		}
	}
	return invalid_argument (error, "%s has the tag %X, which it cannot have", what, parsed.tag);
}

gboolean
esim_esipa_check_pending_notification (GBytes *notification, GError **error)
{
	static const EsimTag tags[] = {
		ESIM_TAG_PROFILE_INSTALLATION_RESULT, /* profileInstallationResult */
		ESIM_TAG_SEQUENCE,                    /* otherSignedNotification */
		0xA0,                                 /* compactProfileInstallationResult [0] */
		0xA1,                                 /* compactOtherSignedNotification [1] */
	};

	return esim_esipa_check_tlv (notification, tags, G_N_ELEMENTS (tags),
	                             "a pending notification", NULL, error);
}

gboolean
esim_esipa_check_euicc_package_result (GBytes *result, GError **error)
{
	static const EsimTag tags[] = { ESIM_TAG_LOAD_EUICC_PACKAGE };
	EsimTlv outer;
	EsimTlv choice;

	if (!esim_esipa_check_tlv (result, tags, G_N_ELEMENTS (tags), "the EuiccPackageResult",
	                           &outer, error))
		return FALSE;
	/* [81] CHOICE is explicit and its alternatives get automatic tags: real
	 * cards send BF51 { A0 … } (V5, V7); an implementation's BF51 { 30 … }
	 * (V19) is not v1.2 and would not verify at the eIM */
	if (!esim_tlv_parse_exact (outer.value, outer.len, &choice, NULL) ||
	    (choice.tag != ESIM_TAG_EPR_SIGNED && choice.tag != ESIM_TAG_EPR_ERROR_SIGNED &&
	     choice.tag != ESIM_TAG_EPR_ERROR_UNSIGNED))
		return invalid_argument (error, "the EuiccPackageResult must hold exactly one "
		                         "alternative A0, A1 or A2 (SGP.32 v1.2)");
	return TRUE;
}

gboolean
esim_esipa_result_fits_transfer (const EsimEimPackageResult *result, GError **error)
{
	if (result == NULL)
		return invalid_argument (error, "no result to transfer");
	if (result->kind != ESIM_EIM_PACKAGE_RESULT_EUICC_PACKAGE_RESULT &&
	    result->kind != ESIM_EIM_PACKAGE_RESULT_EPR_AND_NOTIFICATIONS &&
	    result->kind != ESIM_EIM_PACKAGE_RESULT_IPA_EUICC_DATA)
		return invalid_argument (error, "TransferEimPackageResponse carries only an "
		                         "EuiccPackageResult or an IpaEuiccDataResponse");
	return TRUE;
}

static gboolean
put_transaction_id (EsimDerWriter *writer, EsimTag tag, const gchar *hex, const gchar *what,
                    GError **error)
{
	g_autoptr(GBytes) bytes = esim_esipa_check_transaction_id (hex, what, error);

	if (bytes == NULL)
		return FALSE;
	esim_der_writer_put_bytes (writer, tag, bytes);
	return TRUE;
}

static gboolean
put_eid (EsimDerWriter *writer, const gchar *eid, GError **error)
{
	guint8 bytes[ESIM_EID_LENGTH];

	if (!esim_esipa_check_eid (eid, bytes, error))
		return FALSE;
	esim_der_writer_put (writer, ESIM_TAG_EID, bytes, sizeof (bytes));
	return TRUE;
}

static void
put_raw (EsimDerWriter *writer, GBytes *tlv)
{
	esim_der_writer_put_raw (writer, g_bytes_get_data (tlv, NULL), g_bytes_get_size (tlv));
}

static GBytes *
finish (EsimDerWriter *writer)
{
	return esim_der_writer_finish (writer);
}

/* A list of PendingNotification TLVs under @tag (notificationList A0). */
static gboolean
put_notifications (EsimDerWriter *writer, EsimTag tag, GPtrArray *notifications, GError **error)
{
	guint n = notifications != NULL ? notifications->len : 0;

	if (n > ESIM_ESIPA_MAX_LIST_ITEMS)
		return invalid_argument (error, "%u notifications are more than one message carries",
		                         n);
	esim_der_writer_begin (writer, tag);
	for (guint i = 0; i < n; i++) {
		GBytes *notification = g_ptr_array_index (notifications, i);

		if (!esim_esipa_check_pending_notification (notification, error))
			return FALSE;
		put_raw (writer, notification);
	}
	esim_der_writer_end (writer);
	return TRUE;
}

/* ---- GetEimPackage ---- */

/* rPLMN as 3GPP TS 24.008 §10.5.1.3 codes MCC and MNC: MCC2|MCC1, MNC3|MCC3,
 * MNC2|MNC1, each high|low nibble, MNC3 = F for a two-digit MNC. */
static gboolean
encode_rplmn (const gchar *plmn, guint8 out[ESIM_RPLMN_LENGTH], GError **error)
{
	gsize len = strlen (plmn);
	guint8 d[6];

	if (len != 5 && len != 6)
		return invalid_argument (error, "the rPLMN must be MCC and MNC, 5 or 6 digits");
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isdigit (plmn[i]))
			return invalid_argument (error, "the rPLMN must be MCC and MNC, 5 or 6 digits");
		d[i] = (guint8) (plmn[i] - '0');
	}
	out[0] = (guint8) ((d[1] << 4) | d[0]);
	out[1] = (guint8) (((len == 6 ? d[5] : 0x0F) << 4) | d[2]);
	out[2] = (guint8) ((d[4] << 4) | d[3]);
	return TRUE;
}

GBytes *
esim_esipa_encode_get_eim_package (const EsimGetEimPackageRequest *request, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	guint8 rplmn[ESIM_RPLMN_LENGTH];

	g_return_val_if_fail (request != NULL, NULL);

	if (request->state_change_cause != -1 &&
	    (request->state_change_cause < 0 || request->state_change_cause > 127)) {
		invalid_argument (error, "stateChangeCause %d is out of range",
		                  request->state_change_cause);
		return NULL;
	}
	if (request->state_change_cause != -1 && !request->notify_state_change) {
		invalid_argument (error, "a stateChangeCause needs notifyStateChange");
		return NULL;
	}
	if (request->rplmn != NULL && !encode_rplmn (request->rplmn, rplmn, error))
		return NULL;

	/* BF4F { 5A eidValue, 80 notifyStateChange, 81 stateChangeCause, 82 rPLMN } */
	esim_der_writer_begin (writer, ESIM_TAG_ESIPA_GET_EIM_PACKAGE);
	if (!put_eid (writer, request->eid, error))
		return NULL;
	if (request->notify_state_change)
		esim_der_writer_put_null (writer, ESIM_TAG_ESIPA_NOTIFY_STATE_CHANGE);
	if (request->state_change_cause != -1)
		esim_der_writer_put_int (writer, ESIM_TAG_ESIPA_STATE_CHANGE_CAUSE,
		                         request->state_change_cause);
	if (request->rplmn != NULL)
		esim_der_writer_put (writer, ESIM_TAG_ESIPA_RPLMN, rplmn, sizeof (rplmn));
	esim_der_writer_end (writer);
	return finish (writer);
}

/* ---- EimPackageResult and what carries it ---- */

/* BF52 as built by esim_esipa_build_ipa_euicc_data*(): one A0 or A1 inside. */
static gboolean
check_ipa_euicc_data_response (GBytes *response, GError **error)
{
	static const EsimTag tags[] = { ESIM_TAG_IPA_EUICC_DATA_REQUEST };
	EsimTlv outer;
	EsimTlv choice;

	if (!esim_esipa_check_tlv (response, tags, 1, "the IpaEuiccDataResponse", &outer, error))
		return FALSE;
	if (!esim_tlv_parse_exact (outer.value, outer.len, &choice, NULL) ||
	    (choice.tag != ESIM_TAG_IPA_EUICC_DATA && choice.tag != ESIM_TAG_IPA_EUICC_DATA_ERROR))
		return invalid_argument (error, "the IpaEuiccDataResponse must hold one A0 or A1");
	return TRUE;
}

static gboolean
put_eim_package_result (EsimDerWriter *writer, const EsimEimPackageResult *result, GError **error)
{
	static const EsimTag trigger_tags[] = { ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER };

	if (result == NULL)
		return invalid_argument (error, "no eIM package result given");
	switch (result->kind) {
	case ESIM_EIM_PACKAGE_RESULT_EUICC_PACKAGE_RESULT:
		if (!esim_esipa_check_euicc_package_result (result->euicc_package_result, error))
			return FALSE;
		put_raw (writer, result->euicc_package_result);
		return TRUE;
	case ESIM_EIM_PACKAGE_RESULT_EPR_AND_NOTIFICATIONS:
		/* an untagged SEQUENCE next to tagged alternatives keeps 30 */
		if (!esim_esipa_check_euicc_package_result (result->euicc_package_result, error))
			return FALSE;
		esim_der_writer_begin (writer, ESIM_TAG_ESIPA_EPR_AND_NOTIFICATIONS);
		put_raw (writer, result->euicc_package_result);
		if (!put_notifications (writer, ESIM_TAG_ESIPA_NOTIFICATION_LIST,
		                        result->notifications, error))
			return FALSE;
		esim_der_writer_end (writer);
		return TRUE;
	case ESIM_EIM_PACKAGE_RESULT_IPA_EUICC_DATA:
		if (!check_ipa_euicc_data_response (result->ipa_euicc_data_response, error))
			return FALSE;
		put_raw (writer, result->ipa_euicc_data_response);
		return TRUE;
	case ESIM_EIM_PACKAGE_RESULT_DOWNLOAD_TRIGGER:
		if (!esim_esipa_check_tlv (result->profile_download_trigger_result, trigger_tags, 1,
		                           "the ProfileDownloadTriggerResult", NULL, error))
			return FALSE;
		put_raw (writer, result->profile_download_trigger_result);
		return TRUE;
	case ESIM_EIM_PACKAGE_RESULT_ERROR:
		if (result->error_code < 0)
			return invalid_argument (error, "eimPackageResultErrorCode %d is negative",
			                         result->error_code);
		/* [0] EimPackageResultResponseError: its eimTransactionId is tagged,
		 * so the code keeps the universal INTEGER */
		esim_der_writer_begin (writer, ESIM_TAG_ESIPA_RESULT_ERROR);
		if (result->eim_transaction_id != NULL &&
		    !put_transaction_id (writer, ESIM_TAG_ESIPA_ERROR_TRANSACTION_ID,
		                         result->eim_transaction_id, "the eimTransactionId", error))
			return FALSE;
		esim_der_writer_put_int (writer, ESIM_TAG_INTEGER, result->error_code);
		esim_der_writer_end (writer);
		return TRUE;
	default:
		return invalid_argument (error, "unknown eIM package result kind %d", result->kind);
	}
}

GBytes *
esim_esipa_encode_eim_package_result (const EsimEimPackageResult *result, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	if (!put_eim_package_result (writer, result, error))
		return NULL;
	return finish (writer);
}

static gboolean
put_provide_eim_package_result (EsimDerWriter *writer, const gchar *eid,
                                const EsimEimPackageResult *result, GError **error)
{
	/* BF50 SEQUENCE { 5A eidValue OPT, EimPackageResult }: v1.2 (v1.0 had no
	 * eidValue and no SEQUENCE) */
	esim_der_writer_begin (writer, ESIM_TAG_ESIPA_PROVIDE_EIM_PACKAGE_RESULT);
	if (eid != NULL && !put_eid (writer, eid, error))
		return FALSE;
	if (!put_eim_package_result (writer, result, error))
		return FALSE;
	esim_der_writer_end (writer);
	return TRUE;
}

GBytes *
esim_esipa_encode_provide_eim_package_result (const gchar *eid, const EsimEimPackageResult *result,
                                              GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	if (!put_provide_eim_package_result (writer, eid, result, error))
		return NULL;
	return finish (writer);
}

GBytes *
esim_esipa_encode_handle_notification (GBytes *pending_notification, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	if (!esim_esipa_check_pending_notification (pending_notification, error))
		return NULL;
	/* BF3D CHOICE { pendingNotification [0] PendingNotification }: the [0] on
	 * an untagged CHOICE is explicit, so A0 wraps the card's TLV (v1.0 put the
	 * notification directly under BF3D) */
	esim_der_writer_begin (writer, ESIM_TAG_ESIPA_HANDLE_NOTIFICATION);
	esim_der_writer_begin (writer, ESIM_TAG_ESIPA_PENDING_NOTIFICATION);
	put_raw (writer, pending_notification);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return finish (writer);
}

GBytes *
esim_esipa_encode_handle_notification_result (const gchar *eid, const EsimEimPackageResult *result,
                                              GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, ESIM_TAG_ESIPA_HANDLE_NOTIFICATION);
	if (!put_provide_eim_package_result (writer, eid, result, error))
		return NULL;
	esim_der_writer_end (writer);
	return finish (writer);
}

/* ---- the download relay ---- */

GBytes *
esim_esipa_encode_initiate_authentication (GBytes *euicc_challenge, GBytes *euicc_info1,
                                           const gchar *smdp_address,
                                           const gchar *eim_transaction_id, GError **error)
{
	static const EsimTag info1_tags[] = { ESIM_TAG_GET_EUICC_INFO1 };
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GError) local = NULL;

	if (euicc_challenge == NULL ||
	    g_bytes_get_size (euicc_challenge) != ESIM_EUICC_CHALLENGE_LENGTH) {
		invalid_argument (error, "the euiccChallenge must be %d bytes",
		                  ESIM_EUICC_CHALLENGE_LENGTH);
		return NULL;
	}
	if (euicc_info1 != NULL &&
	    !esim_esipa_check_tlv (euicc_info1, info1_tags, 1, "euiccInfo1", NULL, error))
		return NULL;
	if (smdp_address != NULL && !esim_server_address_parse (smdp_address, NULL, NULL, &local)) {
		invalid_argument (error, "the SM-DP+ address is invalid: %s", local->message);
		return NULL;
	}

	/* BF39 { 81 euiccChallenge, 83 smdpAddress, BF20 euiccInfo1, 82 eimTransactionId }:
	 * the module's order, which DER keeps */
	esim_der_writer_begin (writer, ESIM_TAG_ESIPA_INITIATE_AUTHENTICATION);
	esim_der_writer_put_bytes (writer, ESIM_TAG_ESIPA_EUICC_CHALLENGE, euicc_challenge);
	if (smdp_address != NULL)
		esim_der_writer_put_utf8 (writer, ESIM_TAG_ESIPA_SMDP_ADDRESS, smdp_address);
	if (euicc_info1 != NULL)
		put_raw (writer, euicc_info1);
	if (eim_transaction_id != NULL &&
	    !put_transaction_id (writer, ESIM_TAG_ESIPA_EIM_TRANSACTION_ID, eim_transaction_id,
	                         "the eimTransactionId", error))
		return NULL;
	esim_der_writer_end (writer);
	return finish (writer);
}

/* @outer_tag { 80 transactionId, <@card_tlv unchanged> } */
static GBytes *
encode_transaction_and_tlv (EsimTag outer_tag, const gchar *transaction_id, GBytes *card_tlv,
                            EsimTag card_tag, const gchar *what, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	if (!esim_esipa_check_tlv (card_tlv, &card_tag, 1, what, NULL, error))
		return NULL;
	esim_der_writer_begin (writer, outer_tag);
	if (!put_transaction_id (writer, ESIM_TAG_TRANSACTION_ID, transaction_id,
	                         "the transactionId", error))
		return NULL;
	put_raw (writer, card_tlv);
	esim_der_writer_end (writer);
	return finish (writer);
}

GBytes *
esim_esipa_encode_authenticate_client (const gchar *transaction_id,
                                       GBytes *authenticate_server_response, GError **error)
{
	/* [56] on AuthenticateServerResponse, itself [56] CHOICE: the card's BF38 as it is */
	return encode_transaction_and_tlv (ESIM_TAG_ESIPA_AUTHENTICATE_CLIENT, transaction_id,
	                                   authenticate_server_response,
	                                   ESIM_TAG_AUTHENTICATE_SERVER,
	                                   "the AuthenticateServerResponse", error);
}

GBytes *
esim_esipa_encode_get_bound_profile_package (const gchar *transaction_id,
                                             GBytes *prepare_download_response, GError **error)
{
	return encode_transaction_and_tlv (ESIM_TAG_ESIPA_GET_BOUND_PROFILE_PACKAGE,
	                                   transaction_id, prepare_download_response,
	                                   ESIM_TAG_PREPARE_DOWNLOAD,
	                                   "the PrepareDownloadResponse", error);
}

GBytes *
esim_esipa_encode_cancel_session (const gchar *transaction_id, GBytes *cancel_session_response,
                                  GError **error)
{
	static const EsimTag tags[] = { ESIM_TAG_CANCEL_SESSION };
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	EsimTlv card;

	if (!esim_esipa_check_tlv (cancel_session_response, tags, 1, "the CancelSessionResponse",
	                           &card, error))
		return NULL;
	/* BF41 { transactionId, cancelSessionResponse }: neither member is tagged,
	 * so AUTOMATIC TAGS gives them [0] and [1]; [1] is implicit on the card's
	 * [65] CHOICE, so A1 replaces BF41 in front of the same contents */
	esim_der_writer_begin (writer, ESIM_TAG_ESIPA_CANCEL_SESSION);
	if (!put_transaction_id (writer, ESIM_TAG_ESIPA_CANCEL_TRANSACTION_ID, transaction_id,
	                         "the transactionId", error))
		return NULL;
	esim_der_writer_put (writer, ESIM_TAG_ESIPA_CANCEL_RESPONSE, card.value, card.len);
	esim_der_writer_end (writer);
	return finish (writer);
}

/* ---- TransferEimPackage ---- */

/* correlationId [0] CHOICE { eimTransactionId [0], eidValue 5A }: explicit A0 */
static gboolean
put_correlation_id (EsimDerWriter *writer, const EsimTransferEimPackageResponse *response,
                    GError **error)
{
	if (response->eim_transaction_id == NULL && response->eid == NULL)
		return TRUE;
	esim_der_writer_begin (writer, ESIM_TAG_ESIPA_CORRELATION_ID);
	if (response->eim_transaction_id != NULL) {
		if (!put_transaction_id (writer, ESIM_TAG_ESIPA_CID_TRANSACTION_ID,
		                         response->eim_transaction_id, "the eimTransactionId", error))
			return FALSE;
	} else if (!put_eid (writer, response->eid, error)) {
		return FALSE;
	}
	esim_der_writer_end (writer);
	return TRUE;
}

GBytes *
esim_esipa_encode_transfer_eim_package_response (const EsimTransferEimPackageResponse *response,
                                                 GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	g_return_val_if_fail (response != NULL, NULL);

	esim_der_writer_begin (writer, ESIM_TAG_ESIPA_TRANSFER_EIM_PACKAGE);
	switch (response->kind) {
	case ESIM_TRANSFER_RESPONSE_RESULT:
		if (!esim_esipa_result_fits_transfer (response->result, error) ||
		    !put_eim_package_result (writer, response->result, error))
			return NULL;
		break;
	case ESIM_TRANSFER_RESPONSE_RECEIVED:
		if (!response->with_cid) {
			esim_der_writer_put_null (writer, ESIM_TAG_ESIPA_EIM_PACKAGE_RECEIVED);
			break;
		}
		esim_der_writer_begin (writer, ESIM_TAG_EIM_PACKAGE_RECEIVED_CID);
		if (!put_correlation_id (writer, response, error))
			return NULL;
		esim_der_writer_end (writer);
		break;
	case ESIM_TRANSFER_RESPONSE_ERROR:
		if (response->error_code < 0) {
			invalid_argument (error, "eimPackageError %d is negative", response->error_code);
			return NULL;
		}
		if (!response->with_cid) {
			esim_der_writer_put_int (writer, ESIM_TAG_INTEGER, response->error_code);
			break;
		}
		/* EimPackageErrorWithCid has no tagged member: automatic A0, 81 */
		esim_der_writer_begin (writer, ESIM_TAG_EIM_PACKAGE_ERROR_CID);
		if (!put_correlation_id (writer, response, error))
			return NULL;
		esim_der_writer_put_int (writer, ESIM_TAG_ESIPA_CID_ERROR, response->error_code);
		esim_der_writer_end (writer);
		break;
	default:
		invalid_argument (error, "unknown TransferEimPackageResponse kind %d", response->kind);
		return NULL;
	}
	esim_der_writer_end (writer);
	return finish (writer);
}

/* ---- IpaEuiccDataResponse ---- */

/* A DER X.509 certificate (30 …) under its implicit IpaEuiccData tag. */
static gboolean
put_certificate (EsimDerWriter *writer, EsimTag tag, GBytes *certificate, const gchar *what,
                 GError **error)
{
	static const EsimTag tags[] = { ESIM_TAG_SEQUENCE };
	EsimTlv cert;

	if (!esim_esipa_check_tlv (certificate, tags, 1, what, &cert, error))
		return FALSE;
	esim_der_writer_put (writer, tag, cert.value, cert.len);
	return TRUE;
}

static gboolean
put_raw_checked (EsimDerWriter *writer, GBytes *tlv, EsimTag tag, const gchar *what,
                 GError **error)
{
	if (!esim_esipa_check_tlv (tlv, &tag, 1, what, NULL, error))
		return FALSE;
	put_raw (writer, tlv);
	return TRUE;
}

static gboolean
put_euicc_package_results (EsimDerWriter *writer, GPtrArray *results, GError **error)
{
	if (results->len > ESIM_ESIPA_MAX_LIST_ITEMS)
		return invalid_argument (error, "%u package results are more than one message "
		                         "carries", results->len);
	esim_der_writer_begin (writer, ESIM_TAG_IPA_DATA_EPR_LIST);
	for (guint i = 0; i < results->len; i++) {
		GBytes *result = g_ptr_array_index (results, i);

		if (!esim_esipa_check_euicc_package_result (result, error))
			return FALSE;
		put_raw (writer, result);
	}
	esim_der_writer_end (writer);
	return TRUE;
}

static void
put_ipa_capabilities (EsimDerWriter *writer, guint features, guint protocols)
{
	/* IpaCapabilities: every member tagged; named-bit BIT STRINGs drop
	 * trailing zero bits (DER) */
	esim_der_writer_begin (writer, ESIM_TAG_IPA_DATA_CAPABILITIES);
	esim_der_writer_put_named_bits (writer, ESIM_TAG_IPA_FEATURES, features);
	if (protocols != 0)
		esim_der_writer_put_named_bits (writer, ESIM_TAG_IPA_SUPPORTED_PROTOCOLS, protocols);
	esim_der_writer_end (writer);
}

/* The members of IpaEuiccData in the module's order. */
static gboolean
put_ipa_euicc_data (EsimDerWriter *writer, const EsimIpaEuiccData *data, GError **error)
{
	if (data->notifications != NULL &&
	    !put_notifications (writer, ESIM_TAG_IPA_DATA_NOTIFICATIONS, data->notifications, error))
		return FALSE;
	if (data->default_smdp_address != NULL)
		esim_der_writer_put_utf8 (writer, ESIM_TAG_IPA_DATA_DEFAULT_SMDP,
		                          data->default_smdp_address);
	if (data->euicc_package_results != NULL &&
	    !put_euicc_package_results (writer, data->euicc_package_results, error))
		return FALSE;
	if (data->euicc_info1 != NULL &&
	    !put_raw_checked (writer, data->euicc_info1, ESIM_TAG_IPA_DATA_EUICC_INFO1, "euiccInfo1",
	                      error))
		return FALSE;
	if (data->euicc_info2 != NULL &&
	    !put_raw_checked (writer, data->euicc_info2, ESIM_TAG_IPA_DATA_EUICC_INFO2, "euiccInfo2",
	                      error))
		return FALSE;
	if (data->root_smds_address != NULL)
		esim_der_writer_put_utf8 (writer, ESIM_TAG_IPA_DATA_ROOT_SMDS, data->root_smds_address);
	if (data->has_association_token)
		esim_der_writer_put_int (writer, ESIM_TAG_IPA_DATA_ASSOCIATION_TOKEN,
		                         data->association_token);
	if (data->eum_certificate != NULL &&
	    !put_certificate (writer, ESIM_TAG_IPA_DATA_EUM_CERTIFICATE, data->eum_certificate,
	                      "the EUM certificate", error))
		return FALSE;
	if (data->euicc_certificate != NULL &&
	    !put_certificate (writer, ESIM_TAG_IPA_DATA_EUICC_CERTIFICATE, data->euicc_certificate,
	                      "the eUICC certificate", error))
		return FALSE;
	if (data->eim_transaction_id != NULL &&
	    !put_transaction_id (writer, ESIM_TAG_IPA_DATA_TRANSACTION_ID, data->eim_transaction_id,
	                         "the eimTransactionId", error))
		return FALSE;
	if (data->has_ipa_capabilities)
		put_ipa_capabilities (writer, data->ipa_features, data->ipa_protocols);
	if (data->device_info != NULL) {
		g_autoptr(GBytes) device_info = NULL;

		device_info = esim_device_info_encode (data->device_info, ESIM_TAG_IPA_DATA_DEVICE_INFO,
		                                       error);
		if (device_info == NULL)
			return FALSE;
		put_raw (writer, device_info);
	}
	return TRUE;
}

GBytes *
esim_esipa_build_ipa_euicc_data (const EsimIpaEuiccData *data, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	g_return_val_if_fail (data != NULL, NULL);

	/* BF52 CHOICE { ipaEuiccData, ipaEuiccDataResponseError }: no tagged
	 * alternative, so automatic tags: A0 around the SEQUENCE's members */
	esim_der_writer_begin (writer, ESIM_TAG_IPA_EUICC_DATA_REQUEST);
	esim_der_writer_begin (writer, ESIM_TAG_IPA_EUICC_DATA);
	if (!put_ipa_euicc_data (writer, data, error))
		return NULL;
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return finish (writer);
}

GBytes *
esim_esipa_build_ipa_euicc_data_error (const gchar *eim_transaction_id, gint code, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	if (code < 0) {
		invalid_argument (error, "ipaEuiccDataErrorCode %d is negative", code);
		return NULL;
	}
	/* A1 { 80 eimTransactionId OPT, 02 code }: the tagged first member keeps
	 * the code universal */
	esim_der_writer_begin (writer, ESIM_TAG_IPA_EUICC_DATA_REQUEST);
	esim_der_writer_begin (writer, ESIM_TAG_IPA_EUICC_DATA_ERROR);
	if (eim_transaction_id != NULL &&
	    !put_transaction_id (writer, ESIM_TAG_ESIPA_ERROR_TRANSACTION_ID, eim_transaction_id,
	                         "the eimTransactionId", error))
		return NULL;
	esim_der_writer_put_int (writer, ESIM_TAG_INTEGER, code);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return finish (writer);
}

GBytes *
esim_esipa_build_ipa_capabilities (guint features, guint protocols)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	put_ipa_capabilities (writer, features, protocols);
	return finish (writer);
}

/* ---- ProfileDownloadTriggerResult ---- */

static GBytes *
build_download_trigger_result (const gchar *eim_transaction_id, GBytes *installation_result,
                               gint reason, GBytes *error_response, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	/* BF54 { 82 eimTransactionId OPT, BF37 | 30 { 80 reason, 04 errorResponse OPT } }:
	 * the tagged eimTransactionId keeps the CHOICE untagged */
	esim_der_writer_begin (writer, ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER);
	if (eim_transaction_id != NULL &&
	    !put_transaction_id (writer, ESIM_TAG_TRIGGER_RESULT_TRANSACTION_ID, eim_transaction_id,
	                         "the eimTransactionId", error))
		return NULL;
	if (installation_result != NULL) {
		if (!put_raw_checked (writer, installation_result, ESIM_TAG_PROFILE_INSTALLATION_RESULT,
		                      "the ProfileInstallationResult", error))
			return NULL;
	} else {
		esim_der_writer_begin (writer, ESIM_TAG_TRIGGER_DOWNLOAD_ERROR);
		esim_der_writer_put_int (writer, ESIM_TAG_TRIGGER_ERROR_REASON, reason);
		if (error_response != NULL)
			esim_der_writer_put_bytes (writer, ESIM_TAG_TRIGGER_ERROR_RESPONSE,
			                           error_response);
		esim_der_writer_end (writer);
	}
	esim_der_writer_end (writer);
	return finish (writer);
}

GBytes *
esim_esipa_build_download_trigger_result (const gchar *eim_transaction_id,
                                          GBytes *profile_installation_result, GError **error)
{
	if (profile_installation_result == NULL) {
		invalid_argument (error, "no ProfileInstallationResult given");
		return NULL;
	}
	return build_download_trigger_result (eim_transaction_id, profile_installation_result, 0,
	                                      NULL, error);
}

GBytes *
esim_esipa_build_download_trigger_error (const gchar *eim_transaction_id, gint reason,
                                         GBytes *error_response, GError **error)
{
	if (reason < 0) {
		invalid_argument (error, "profileDownloadErrorReason %d is negative", reason);
		return NULL;
	}
	return build_download_trigger_result (eim_transaction_id, NULL, reason, error_response,
	                                      error);
}
