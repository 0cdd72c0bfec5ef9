/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ESipa, eIM → IPA: strict parsers of the eIM's ASN.1 messages and of the
 * package TLVs both bindings carry (esim-esipa.h).
 *
 * Policy, the same as the ES10 parsers': the body must be exactly one
 * envelope of the expected tag; a CHOICE must hold exactly one alternative the
 * v1.2 module defines (an unknown one is refused, it cannot be acted on); a
 * SEQUENCE may carry members after the ones we know (the module is
 * EXTENSIBILITY IMPLIED) and they are skipped; lists are bounded.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-activation-code.h"
#include "esim-esipa-private.h"
#include "esim-util.h"

G_DEFINE_QUARK (esim-esipa-error-quark, esim_esipa_error)

/* ---- freeing ---- */

void
esim_euicc_package_request_free (EsimEuiccPackageRequest *request)
{
	if (request == NULL)
		return;
	g_free (request->eim_id);
	g_clear_pointer (&request->eid, g_bytes_unref);
	g_free (request->eim_transaction_id);
	g_clear_pointer (&request->raw, g_bytes_unref);
	g_free (request);
}

void
esim_ipa_euicc_data_request_free (EsimIpaEuiccDataRequest *request)
{
	if (request == NULL)
		return;
	g_clear_pointer (&request->tags, g_array_unref);
	g_clear_pointer (&request->euicc_ci_pkid, g_bytes_unref);
	g_free (request->eim_transaction_id);
	g_clear_pointer (&request->raw, g_bytes_unref);
	g_free (request);
}

void
esim_profile_download_trigger_free (EsimProfileDownloadTrigger *trigger)
{
	if (trigger == NULL)
		return;
	g_free (trigger->activation_code);
	g_free (trigger->smds_address);
	g_free (trigger->eim_transaction_id);
	g_clear_pointer (&trigger->raw, g_bytes_unref);
	g_free (trigger);
}

void
esim_eim_package_free (EsimEimPackage *package)
{
	if (package == NULL)
		return;
	g_clear_pointer (&package->euicc_package_request, esim_euicc_package_request_free);
	g_clear_pointer (&package->ipa_euicc_data_request, esim_ipa_euicc_data_request_free);
	g_clear_pointer (&package->profile_download_trigger, esim_profile_download_trigger_free);
	g_clear_pointer (&package->acknowledgements, g_array_unref);
	g_free (package);
}

void
esim_provide_result_response_free (EsimProvideResultResponse *response)
{
	if (response == NULL)
		return;
	g_clear_pointer (&response->acknowledgements, g_array_unref);
	g_free (response);
}

/* ---- names of the eIM's codes ---- */

typedef struct {
	gint         code;
	const gchar *name;
} CodeName;

static const CodeName eim_package_errors[] = {
	{ 1, "noEimPackageAvailable" }, { 2, "eidNotFound" }, { 3, "invalidEid" },
	{ 4, "missingEid" }, { 127, "undefinedError" }, { 0, NULL },
};

static const CodeName initiate_authentication_errors[] = {
	{ 1, "invalidDpAddress" }, { 2, "euiccVersionNotSupportedByDp" },
	{ 3, "ciPKIdNotSupported" }, { 50, "smdpAddressMismatch" }, { 51, "smdpOidMismatch" },
	{ 52, "invalidEimTransactionId" }, { 127, "undefinedError" }, { 0, NULL },
};

static const CodeName authenticate_client_errors[] = {
	{ 1, "eumCertificateInvalid" }, { 2, "eumCertificateExpired" },
	{ 3, "euiccCertificateInvalid" }, { 4, "euiccCertificateExpired" },
	{ 5, "euiccSignatureInvalid" }, { 6, "matchingIdRefused" }, { 7, "eidMismatch" },
	{ 8, "noEligibleProfile" }, { 9, "ciPKUnknown" }, { 10, "invalidTransactionId" },
	{ 11, "insufficientMemory" }, { 18, "downloadOrderExpired" }, { 50, "pprNotAllowed" },
	{ 56, "eventIdUnknown" }, { 127, "undefinedError" }, { 0, NULL },
};

static const CodeName bound_profile_package_errors[] = {
	{ 1, "euiccSignatureInvalid" }, { 2, "confirmationCodeMissing" },
	{ 3, "confirmationCodeRefused" }, { 4, "confirmationCodeRetriesExceeded" },
	{ 5, "bppRebindingRefused" }, { 6, "deprecated" }, { 50, "metadataMismatch" },
	{ 95, "invalidTransactionId" }, { 127, "undefinedError" }, { 0, NULL },
};

static const CodeName cancel_session_errors[] = {
	{ 1, "invalidTransactionId" }, { 2, "euiccSignatureInvalid" }, { 127, "undefinedError" },
	{ 0, NULL },
};

static const gchar *
code_name (const CodeName *names, gint64 code)
{
	for (guint i = 0; names[i].name != NULL; i++) {
		if (names[i].code == code)
			return names[i].name;
	}
	return "unknown";
}

const gchar *
esim_esipa_eim_package_error_to_string (gint code)
{
	return code_name (eim_package_errors, code);
}

/* ---- helpers ---- */

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
	g_set_error_literal (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED, message);
	return FALSE;
}

/* Any failure of a part as ESIM_ESIPA_ERROR, prefixed with the structure's
 * name; DER reader errors become MALFORMED, REFUSED stays. */
static gpointer
fail_null (GError **error, GError *local, const gchar *what)
{
	if (local->domain == ESIM_ESIPA_ERROR)
		g_set_error (error, ESIM_ESIPA_ERROR, local->code, "%s: %s", what, local->message);
	else
		g_set_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED, "%s: %s", what,
		             local->message);
	g_error_free (local);
	return NULL;
}

/* The single element of a CHOICE (or of an envelope). */
static gboolean
parse_single (const EsimTlv *outer, EsimTlv *out, GError **error)
{
	if (outer->len == 0)
		return malformed (error, "%X is empty", outer->tag);
	return esim_tlv_parse_exact (outer->value, outer->len, out, error);
}

/* The body: exactly one TLV tagged @tag. */
static gboolean
parse_envelope (GBytes *body, EsimTag tag, EsimTlv *out, GError **error)
{
	const guint8 *data = NULL;
	gsize len = 0;

	if (body != NULL)
		data = g_bytes_get_data (body, &len);
	if (len == 0)
		return malformed (error, "empty, expected %X", tag);
	if (!esim_tlv_parse_exact (data, len, out, error))
		return FALSE;
	if (out->tag != tag)
		return malformed (error, "expected the envelope %X, got %X", tag, out->tag);
	return TRUE;
}

static gboolean
get_code (const EsimTlv *tlv, gint *out, GError **error)
{
	gint64 value = 0;

	if (!esim_tlv_get_int (tlv, &value, error))
		return FALSE;
	if (value < 0 || value > G_MAXINT)
		return malformed (error, "error code %" G_GINT64_FORMAT " is out of range", value);
	*out = (gint) value;
	return TRUE;
}

static gchar *
dup_transaction_id (const EsimTlv *tlv, GError **error)
{
	if (tlv->constructed || tlv->len < 1 || tlv->len > ESIM_TRANSACTION_ID_MAX_LENGTH) {
		malformed (error, "transaction ID %X must be 1 to %d bytes", tlv->tag,
		           ESIM_TRANSACTION_ID_MAX_LENGTH);
		return NULL;
	}
	return esim_hex_encode (tlv->value, tlv->len);
}

/* The members of a SEQUENCE, read in the module's order.  Members after the
 * known ones are extensions and skipped, unless they carry a tag the reader
 * asked for: a known member out of order or repeated is malformed. */
#define SEQ_MAX_MEMBERS 24

typedef struct {
	EsimTlv items[SEQ_MAX_MEMBERS];
	guint   n;
	guint   pos;
	EsimTag asked[SEQ_MAX_MEMBERS];
	guint   n_asked;
} Seq;

static void
seq_ask (Seq *seq, EsimTag tag)
{
	for (guint i = 0; i < seq->n_asked; i++) {
		if (seq->asked[i] == tag)
			return;
	}
	if (seq->n_asked < SEQ_MAX_MEMBERS)
		seq->asked[seq->n_asked++] = tag;
}

static gboolean
seq_load (Seq *seq, const EsimTlv *parent, GError **error)
{
	g_autoptr(GError) local = NULL;
	EsimTlvIter iter;
	EsimTlv child;

	seq->n = seq->pos = seq->n_asked = 0;
	esim_tlv_iter_init (&iter, parent);
	while (esim_tlv_iter_next (&iter, &child, &local)) {
		if (seq->n == SEQ_MAX_MEMBERS)
			return malformed (error, "%X has more than %d members", parent->tag,
			                  SEQ_MAX_MEMBERS);
		seq->items[seq->n++] = child;
	}
	if (local != NULL) {
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	return TRUE;
}

/* The next member if it has @tag. */
static gboolean
seq_take (Seq *seq, EsimTag tag, EsimTlv *out)
{
	seq_ask (seq, tag);
	if (seq->pos >= seq->n || seq->items[seq->pos].tag != tag)
		return FALSE;
	*out = seq->items[seq->pos++];
	return TRUE;
}

static gboolean
seq_require (Seq *seq, EsimTag tag, const gchar *what, EsimTlv *out, GError **error)
{
	if (seq_take (seq, tag, out))
		return TRUE;
	if (seq->pos < seq->n)
		return malformed (error, "expected %s (%X), got %X", what, tag,
		                  seq->items[seq->pos].tag);
	return malformed (error, "%s (%X) missing", what, tag);
}

/* After the known members: what is left must be extensions. */
static gboolean
seq_end (Seq *seq, const gchar *what, GError **error)
{
	for (guint i = seq->pos; i < seq->n; i++) {
		for (guint j = 0; j < seq->n_asked; j++) {
			if (seq->items[i].tag == seq->asked[j])
				return malformed (error, "%s: %X is out of order or repeated", what,
				                  seq->items[i].tag);
		}
	}
	return TRUE;
}

/* ---- the packages ---- */

static EsimEuiccPackageRequest *
parse_euicc_package_request (const EsimTlv *outer, GError **error)
{
	g_autoptr(EsimEuiccPackageRequest) request = g_new0 (EsimEuiccPackageRequest, 1);
	Seq top;
	Seq seq;
	EsimTlv signed_data;
	EsimTlv tlv;

	/* BF51 { 30 euiccPackageSigned, 5F37 eimSignature } */
	if (!seq_load (&top, outer, error) ||
	    !seq_require (&top, ESIM_TAG_SEQUENCE, "euiccPackageSigned", &signed_data, error) ||
	    !seq_require (&top, ESIM_TAG_SIGNATURE, "eimSignature", &tlv, error) ||
	    !seq_end (&top, "EuiccPackageRequest", error) ||
	    !seq_load (&seq, &signed_data, error))
		return NULL;
	/* 30 { 80 eimId, 5A eidValue, 81 counterValue, 82 eimTransactionId OPT, A0 | A1 } */
	if (!seq_require (&seq, ESIM_TAG_EUICC_PACKAGE_EIM_ID, "eimId", &tlv, error) ||
	    (request->eim_id = esim_tlv_dup_utf8 (&tlv, error)) == NULL)
		return NULL;
	if (tlv.len < 1 || tlv.len > ESIM_EIM_ID_MAX_LENGTH) {
		malformed (error, "eimId must be 1 to %d bytes", ESIM_EIM_ID_MAX_LENGTH);
		return NULL;
	}
	if (!seq_require (&seq, ESIM_TAG_EID, "eidValue", &tlv, error))
		return NULL;
	if (tlv.constructed || tlv.len == 0) {
		malformed (error, "eidValue is empty or constructed");
		return NULL;
	}
	request->eid = esim_tlv_dup_value (&tlv);
	if (!seq_require (&seq, ESIM_TAG_EUICC_PACKAGE_COUNTER, "counterValue", &tlv, error) ||
	    !esim_tlv_get_uint (&tlv, &request->counter_value, error))
		return NULL;
	if (seq_take (&seq, ESIM_TAG_EUICC_PACKAGE_TRANSACTION_ID, &tlv) &&
	    (request->eim_transaction_id = dup_transaction_id (&tlv, error)) == NULL)
		return NULL;
	if (seq_take (&seq, ESIM_TAG_EUICC_PACKAGE_ECO_LIST, &tlv)) {
		request->is_eco = TRUE;
	} else if (!seq_require (&seq, ESIM_TAG_EUICC_PACKAGE_PSMO_LIST, "euiccPackage (A0 psmoList "
	                         "or A1 ecoList)", &tlv, error)) {
		return NULL;
	}
	if (!seq_end (&seq, "euiccPackageSigned", error))
		return NULL;
	request->raw = esim_tlv_dup_raw (outer);
	return g_steal_pointer (&request);
}

/* A tagList (5C): the tags one after another, each 1 to 4 bytes. */
static GArray *
parse_tag_list (const EsimTlv *tlv, GError **error)
{
	g_autoptr(GArray) tags = g_array_new (FALSE, FALSE, sizeof (EsimTag));
	gsize i = 0;

	if (tlv->constructed) {
		malformed (error, "tagList is constructed");
		return NULL;
	}
	while (i < tlv->len) {
		EsimTag tag = tlv->value[i++];
		guint n = 1;

		if ((tag & 0x1F) == 0x1F) {
			do {
				if (i >= tlv->len || n == 4) {
					malformed (error, "tagList holds a truncated or overlong tag");
					return NULL;
				}
				tag = (tag << 8) | tlv->value[i];
				n++;
			} while (tlv->value[i++] & 0x80);
		}
		if (tags->len == ESIM_ESIPA_MAX_LIST_ITEMS) {
			malformed (error, "tagList holds more than %d tags", ESIM_ESIPA_MAX_LIST_ITEMS);
			return NULL;
		}
		g_array_append_val (tags, tag);
	}
	return g_steal_pointer (&tags);
}

/* searchCriteriaNotification [1] CHOICE { seqNumber [0], profileManagementOperation [1] }:
 * a tagged CHOICE is explicit, A1 { 80 … } (the same rule real cards enforce
 * for RetrieveNotificationsList, vectors.md V12) */
static gboolean
parse_notification_criteria (const EsimTlv *tlv, EsimIpaEuiccDataRequest *request,
                             GError **error)
{
	EsimTlv choice;
	guint32 events = 0;

	if (!parse_single (tlv, &choice, error))
		return FALSE;
	switch (choice.tag) {
	case ESIM_TAG_IPA_DATA_SEARCH_SEQ_NUMBER:
		request->notification_search = ESIM_NOTIFICATION_SEARCH_SEQ_NUMBER;
		return esim_tlv_get_uint (&choice, &request->notification_search_value, error);
	case ESIM_TAG_IPA_DATA_SEARCH_OPERATION:
		if (!esim_tlv_get_named_bits (&choice, 4, &events, error))
			return FALSE;
		request->notification_search = ESIM_NOTIFICATION_SEARCH_OPERATION;
		request->notification_search_value = events;
		return TRUE;
	default:
		return malformed (error, "searchCriteriaNotification has no alternative %X",
		                  choice.tag);
	}
}

static EsimIpaEuiccDataRequest *
parse_ipa_euicc_data_request (const EsimTlv *outer, GError **error)
{
	g_autoptr(EsimIpaEuiccDataRequest) request = g_new0 (EsimIpaEuiccDataRequest, 1);
	Seq seq;
	EsimTlv tlv;
	EsimTlv choice;

	/* BF52 { 5C tagList, 04 euiccCiPKIdentifierToBeUsed OPT, A1 OPT, A2 OPT, 83 OPT }:
	 * tagList is tagged, so the OCTET STRING keeps its universal 04 */
	if (!seq_load (&seq, outer, error) ||
	    !seq_require (&seq, ESIM_TAG_TAG_LIST, "tagList", &tlv, error) ||
	    (request->tags = parse_tag_list (&tlv, error)) == NULL)
		return NULL;
	if (seq_take (&seq, ESIM_TAG_IPA_DATA_CI_PKID, &tlv)) {
		if (tlv.constructed || tlv.len == 0) {
			malformed (error, "euiccCiPKIdentifierToBeUsed is empty or constructed");
			return NULL;
		}
		request->euicc_ci_pkid = esim_tlv_dup_value (&tlv);
	}
	if (seq_take (&seq, ESIM_TAG_IPA_DATA_SEARCH_NOTIFICATION, &tlv)) {
		if (!parse_notification_criteria (&tlv, request, error))
			return NULL;
	} else if (seq_take (&seq, ESIM_TAG_IPA_DATA_SEARCH_NOTIFICATION & ~0x20, &tlv)) {
		/* 81, [1] primitive: the CHOICE without its explicit wrapper */
		malformed (error, "searchCriteriaNotification must be A1 { 80 | 81 } (explicit)");
		return NULL;
	}
	if (seq_take (&seq, ESIM_TAG_IPA_DATA_SEARCH_EPR, &tlv)) {
		if (!parse_single (&tlv, &choice, error))
			return NULL;
		if (choice.tag != ESIM_TAG_IPA_DATA_SEARCH_SEQ_NUMBER) {
			malformed (error, "searchCriteriaEuiccPackageResult has no alternative %X",
			           choice.tag);
			return NULL;
		}
		if (!esim_tlv_get_uint (&choice, &request->epr_seq_number, error))
			return NULL;
		request->has_epr_search = TRUE;
	}
	if (seq_take (&seq, ESIM_TAG_IPA_DATA_REQUEST_TRANSACTION_ID, &tlv) &&
	    (request->eim_transaction_id = dup_transaction_id (&tlv, error)) == NULL)
		return NULL;
	if (!seq_end (&seq, "IpaEuiccDataRequest", error))
		return NULL;
	request->raw = esim_tlv_dup_raw (outer);
	return g_steal_pointer (&request);
}

static gboolean
parse_download_data (const EsimTlv *tlv, EsimProfileDownloadTrigger *trigger, GError **error)
{
	EsimTlv choice;
	EsimTlv address;
	g_autoptr(GError) local = NULL;

	/* profileDownloadData [0] CHOICE: explicit A0 around one alternative */
	if (!parse_single (tlv, &choice, error))
		return FALSE;
	switch (choice.tag) {
	case ESIM_TAG_TRIGGER_ACTIVATION_CODE:
		if (choice.len > ESIM_ACTIVATION_CODE_MAX_LENGTH)
			return malformed (error, "activationCode is longer than %d bytes",
			                  ESIM_ACTIVATION_CODE_MAX_LENGTH);
		trigger->kind = ESIM_DOWNLOAD_TRIGGER_ACTIVATION_CODE;
		trigger->activation_code = esim_tlv_dup_utf8 (&choice, error);
		return trigger->activation_code != NULL;
	case ESIM_TAG_TRIGGER_DEFAULT_SMDP:
		if (choice.len != 0)
			return malformed (error, "contactDefaultSmdp is a NULL with content");
		trigger->kind = ESIM_DOWNLOAD_TRIGGER_DEFAULT_SMDP;
		return TRUE;
	case ESIM_TAG_TRIGGER_SMDS:
		trigger->kind = ESIM_DOWNLOAD_TRIGGER_SMDS;
		if (esim_tlv_find (&choice, ESIM_TAG_TRIGGER_SMDS_ADDRESS, &address, &local)) {
			trigger->smds_address = esim_tlv_dup_utf8 (&address, error);
			return trigger->smds_address != NULL;
		}
		if (local != NULL) {
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
		return TRUE;
	default:
		return malformed (error, "profileDownloadData has no alternative %X", choice.tag);
	}
}

static EsimProfileDownloadTrigger *
parse_profile_download_trigger (const EsimTlv *outer, GError **error)
{
	g_autoptr(EsimProfileDownloadTrigger) trigger = g_new0 (EsimProfileDownloadTrigger, 1);
	Seq seq;
	EsimTlv tlv;

	/* BF54 { A0 profileDownloadData OPT, 82 eimTransactionId OPT } */
	if (!seq_load (&seq, outer, error))
		return NULL;
	if (seq_take (&seq, ESIM_TAG_TRIGGER_DOWNLOAD_DATA, &tlv) &&
	    !parse_download_data (&tlv, trigger, error))
		return NULL;
	if (seq_take (&seq, ESIM_TAG_TRIGGER_TRANSACTION_ID, &tlv) &&
	    (trigger->eim_transaction_id = dup_transaction_id (&tlv, error)) == NULL)
		return NULL;
	if (!seq_end (&seq, "ProfileDownloadTriggerRequest", error))
		return NULL;
	trigger->raw = esim_tlv_dup_raw (outer);
	return g_steal_pointer (&trigger);
}

static GArray *
parse_acknowledgements (const EsimTlv *outer, GError **error)
{
	g_autoptr(GArray) seqs = g_array_new (FALSE, FALSE, sizeof (guint64));
	g_autoptr(GError) local = NULL;
	EsimTlvIter iter;
	EsimTlv item;

	/* BF53 SEQUENCE OF SequenceNumber ::= [0] INTEGER: 80 … 80 … */
	esim_tlv_iter_init (&iter, outer);
	while (esim_tlv_iter_next (&iter, &item, &local)) {
		guint64 seq_number = 0;

		if (item.tag != ESIM_TAG_ESIPA_SEQUENCE_NUMBER) {
			malformed (error, "eimAcknowledgements holds %X, not a sequence number",
			           item.tag);
			return NULL;
		}
		if (seqs->len == ESIM_ESIPA_MAX_LIST_ITEMS) {
			malformed (error, "eimAcknowledgements holds more than %d sequence numbers",
			           ESIM_ESIPA_MAX_LIST_ITEMS);
			return NULL;
		}
		if (!esim_tlv_get_uint (&item, &seq_number, error))
			return NULL;
		g_array_append_val (seqs, seq_number);
	}
	if (local != NULL) {
		g_propagate_error (error, g_steal_pointer (&local));
		return NULL;
	}
	return g_steal_pointer (&seqs);
}

EsimEimPackage *
esim_esipa_package_from_tlv (const EsimTlv *tlv, gboolean allow_acknowledgements, GError **error)
{
	g_autoptr(EsimEimPackage) package = g_new0 (EsimEimPackage, 1);
	GError *local = NULL;

	switch (tlv->tag) {
	case ESIM_TAG_LOAD_EUICC_PACKAGE:
		package->kind = ESIM_EIM_PACKAGE_EUICC_PACKAGE_REQUEST;
		package->euicc_package_request = parse_euicc_package_request (tlv, &local);
		if (package->euicc_package_request == NULL)
			return fail_null (error, local, "EuiccPackageRequest");
		break;
	case ESIM_TAG_IPA_EUICC_DATA_REQUEST:
		package->kind = ESIM_EIM_PACKAGE_IPA_EUICC_DATA_REQUEST;
		package->ipa_euicc_data_request = parse_ipa_euicc_data_request (tlv, &local);
		if (package->ipa_euicc_data_request == NULL)
			return fail_null (error, local, "IpaEuiccDataRequest");
		break;
	case ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER:
		package->kind = ESIM_EIM_PACKAGE_PROFILE_DOWNLOAD_TRIGGER;
		package->profile_download_trigger = parse_profile_download_trigger (tlv, &local);
		if (package->profile_download_trigger == NULL)
			return fail_null (error, local, "ProfileDownloadTriggerRequest");
		break;
	case ESIM_TAG_EIM_ACKNOWLEDGEMENTS:
		if (!allow_acknowledgements)
			goto unknown;
		package->kind = ESIM_EIM_PACKAGE_ACKNOWLEDGEMENTS;
		package->acknowledgements = parse_acknowledgements (tlv, &local);
		if (package->acknowledgements == NULL)
			return fail_null (error, local, "EimAcknowledgements");
		break;
	default:
		goto unknown;
	}
	return g_steal_pointer (&package);

unknown:
	malformed (error, "no eIM package is tagged %X", tlv->tag);
	return NULL;
}

/* One part given alone (the JSON binding): exactly one TLV tagged @tag. */
static gboolean
parse_part (GBytes *bytes, EsimTag tag, const gchar *what, EsimTlv *out, GError **error)
{
	GError *local = NULL;

	if (!parse_envelope (bytes, tag, out, &local)) {
		fail_null (error, local, what);
		return FALSE;
	}
	return TRUE;
}

EsimEuiccPackageRequest *
esim_esipa_parse_euicc_package_request (GBytes *tlv, GError **error)
{
	EsimTlv outer;
	GError *local = NULL;
	EsimEuiccPackageRequest *request;

	if (!parse_part (tlv, ESIM_TAG_LOAD_EUICC_PACKAGE, "EuiccPackageRequest", &outer, error))
		return NULL;
	request = parse_euicc_package_request (&outer, &local);
	return request != NULL ? request : fail_null (error, local, "EuiccPackageRequest");
}

EsimIpaEuiccDataRequest *
esim_esipa_parse_ipa_euicc_data_request (GBytes *tlv, GError **error)
{
	EsimTlv outer;
	GError *local = NULL;
	EsimIpaEuiccDataRequest *request;

	if (!parse_part (tlv, ESIM_TAG_IPA_EUICC_DATA_REQUEST, "IpaEuiccDataRequest", &outer, error))
		return NULL;
	request = parse_ipa_euicc_data_request (&outer, &local);
	return request != NULL ? request : fail_null (error, local, "IpaEuiccDataRequest");
}

EsimProfileDownloadTrigger *
esim_esipa_parse_profile_download_trigger (GBytes *tlv, GError **error)
{
	EsimTlv outer;
	GError *local = NULL;
	EsimProfileDownloadTrigger *trigger;

	if (!parse_part (tlv, ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER, "ProfileDownloadTriggerRequest",
	                 &outer, error))
		return NULL;
	trigger = parse_profile_download_trigger (&outer, &local);
	return trigger != NULL ? trigger : fail_null (error, local, "ProfileDownloadTriggerRequest");
}

GArray *
esim_esipa_parse_eim_acknowledgements (GBytes *tlv, GError **error)
{
	EsimTlv outer;
	GError *local = NULL;
	GArray *acks;

	if (!parse_part (tlv, ESIM_TAG_EIM_ACKNOWLEDGEMENTS, "EimAcknowledgements", &outer, error))
		return NULL;
	acks = parse_acknowledgements (&outer, &local);
	return acks != NULL ? acks : fail_null (error, local, "EimAcknowledgements");
}

const gchar *
esim_esipa_ipa_euicc_data_tag_name (EsimTag tag)
{
	static const struct {
		EsimTag      tag;
		const gchar *name;
	} names[] = {
		{ ESIM_TAG_IPA_DATA_NOTIFICATIONS, "notificationsList" },
		{ ESIM_TAG_IPA_DATA_DEFAULT_SMDP, "defaultSmdpAddress" },
		{ ESIM_TAG_IPA_DATA_EPR_LIST, "euiccPackageResultList" },
		{ ESIM_TAG_IPA_DATA_EUICC_INFO1, "euiccInfo1" },
		{ ESIM_TAG_IPA_DATA_EUICC_INFO2, "euiccInfo2" },
		{ ESIM_TAG_IPA_DATA_ROOT_SMDS, "rootSmdsAddress" },
		{ ESIM_TAG_IPA_DATA_ASSOCIATION_TOKEN, "associationToken" },
		{ ESIM_TAG_IPA_DATA_EUM_CERTIFICATE, "eumCertificate" },
		{ ESIM_TAG_IPA_DATA_EUICC_CERTIFICATE, "euiccCertificate" },
		{ ESIM_TAG_IPA_DATA_TRANSACTION_ID, "eimTransactionId" },
		{ ESIM_TAG_IPA_DATA_CAPABILITIES, "ipaCapabilities" },
		{ ESIM_TAG_IPA_DATA_DEVICE_INFO, "deviceInfo" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
		if (names[i].tag == tag)
			return names[i].name;
	}
	return NULL;
}

/* ---- the whole messages ---- */

/* @tag { exactly one package, or for GetEimPackage universal 02 eimPackageError } */
static EsimEimPackage *
parse_package_message (GBytes *body, EsimTag tag, gboolean transfer, const gchar *what,
                       GError **error)
{
	g_autoptr(EsimEimPackage) package = NULL;
	GError *local = NULL;
	EsimTlv outer;
	EsimTlv choice;

	if (!parse_envelope (body, tag, &outer, &local) || !parse_single (&outer, &choice, &local))
		return fail_null (error, local, what);
	if (!transfer && choice.tag == ESIM_TAG_INTEGER) {
		/* eimPackageError: untagged INTEGER next to tagged alternatives */
		package = g_new0 (EsimEimPackage, 1);
		package->kind = ESIM_EIM_PACKAGE_ERROR;
		if (!get_code (&choice, &package->error_code, &local))
			return fail_null (error, local, what);
		return g_steal_pointer (&package);
	}
	package = esim_esipa_package_from_tlv (&choice, transfer, &local);
	if (package == NULL)
		return fail_null (error, local, what);
	return g_steal_pointer (&package);
}

EsimEimPackage *
esim_esipa_parse_get_eim_package_response (GBytes *body, GError **error)
{
	return parse_package_message (body, ESIM_TAG_ESIPA_GET_EIM_PACKAGE, FALSE,
	                              "GetEimPackageResponse", error);
}

EsimEimPackage *
esim_esipa_parse_transfer_eim_package_request (GBytes *body, GError **error)
{
	return parse_package_message (body, ESIM_TAG_ESIPA_TRANSFER_EIM_PACKAGE, TRUE,
	                              "TransferEimPackageRequest", error);
}

EsimProvideResultResponse *
esim_esipa_parse_provide_eim_package_result_response (GBytes *body, GError **error)
{
	g_autoptr(EsimProvideResultResponse) response = g_new0 (EsimProvideResultResponse, 1);
	GError *local = NULL;
	EsimTlv outer;
	EsimTlv choice;

	/* an empty 2xx answer acknowledges nothing: emptyResponse */
	if (body == NULL || g_bytes_get_size (body) == 0) {
		response->kind = ESIM_PROVIDE_RESULT_EMPTY;
		return g_steal_pointer (&response);
	}
	if (!parse_envelope (body, ESIM_TAG_ESIPA_PROVIDE_EIM_PACKAGE_RESULT, &outer, &local) ||
	    !parse_single (&outer, &choice, &local))
		return fail_null (error, local, "ProvideEimPackageResultResponse");
	switch (choice.tag) {
	case ESIM_TAG_EIM_ACKNOWLEDGEMENTS:
		response->kind = ESIM_PROVIDE_RESULT_ACKNOWLEDGEMENTS;
		response->acknowledgements = parse_acknowledgements (&choice, &local);
		if (response->acknowledgements == NULL)
			return fail_null (error, local, "ProvideEimPackageResultResponse");
		break;
	case ESIM_TAG_ESIPA_EMPTY_RESPONSE:
		response->kind = ESIM_PROVIDE_RESULT_EMPTY;
		break;
	case ESIM_TAG_INTEGER:
		response->kind = ESIM_PROVIDE_RESULT_ERROR;
		if (!get_code (&choice, &response->error_code, &local))
			return fail_null (error, local, "ProvideEimPackageResultResponse");
		break;
	default:
		malformed (error, "ProvideEimPackageResultResponse: no alternative %X", choice.tag);
		return NULL;
	}
	return g_steal_pointer (&response);
}

/* ---- the download relay ---- */

/* @outer's single alternative into *ok; the error INTEGER @error_tag is
 * ESIM_ESIPA_ERROR_REFUSED with the eIM's code. */
static gboolean
parse_relay_choice (const EsimTlv *outer, EsimTag error_tag, const CodeName *names,
                    gint *eim_error, EsimTlv *ok, GError **error)
{
	gint code = 0;

	if (!parse_single (outer, ok, error))
		return FALSE;
	if (ok->tag != error_tag)
		return TRUE;
	if (!get_code (ok, &code, error))
		return FALSE;
	if (eim_error != NULL)
		*eim_error = code;
	g_set_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED, "%s (%d)",
	             code_name (names, code), code);
	return FALSE;
}

gchar *
esim_esipa_transaction_id_of_server_signed1 (GBytes *server_signed1, GError **error)
{
	g_autoptr(EsimServerSigned1) signed1 = esim_es10_parse_server_signed1 (server_signed1, error);

	return signed1 != NULL ? g_steal_pointer (&signed1->transaction_id) : NULL;
}

gchar *
esim_esipa_transaction_id_of_bpp (GBytes *bpp)
{
	EsimTlv outer;
	EsimTlv secure_channel;
	EsimTlv id;

	/* BF36 { BF23 InitialiseSecureChannelRequest { 82 remoteOpId, 80 transactionId, … } } */
	if (!esim_tlv_parse_tagged (g_bytes_get_data (bpp, NULL), g_bytes_get_size (bpp),
	                            ESIM_TAG_BOUND_PROFILE_PACKAGE, &outer, NULL) ||
	    !esim_tlv_find (&outer, ESIM_TAG_INITIALISE_SECURE_CHANNEL, &secure_channel, NULL) ||
	    !esim_tlv_find (&secure_channel, ESIM_TAG_TRANSACTION_ID, &id, NULL))
		return NULL;
	return dup_transaction_id (&id, NULL);
}

static EsimInitiateAuthenticationOk *
parse_initiate_authentication_ok (const EsimTlv *ok_tlv, GError **error)
{
	g_autoptr(EsimInitiateAuthenticationOk) ok = g_new0 (EsimInitiateAuthenticationOk, 1);
	Seq seq;
	EsimTlv tlv;
	EsimTlv params;

	/* A0 { 80 transactionId OPT, 30 serverSigned1, 5F37, 04 euiccCiPKIdentifierToBeUsed,
	 *      30 serverCertificate, 0C matchingId OPT, A2 ctxParams1 OPT } */
	if (!seq_load (&seq, ok_tlv, error))
		return NULL;
	if (seq_take (&seq, ESIM_TAG_TRANSACTION_ID, &tlv) &&
	    (ok->transaction_id = dup_transaction_id (&tlv, error)) == NULL)
		return NULL;
	if (!seq_require (&seq, ESIM_TAG_SEQUENCE, "serverSigned1", &tlv, error))
		return NULL;
	ok->server_signed1 = esim_tlv_dup_raw (&tlv);
	if (!seq_require (&seq, ESIM_TAG_SIGNATURE, "serverSignature1", &tlv, error))
		return NULL;
	ok->server_signature1 = esim_tlv_dup_raw (&tlv);
	if (!seq_require (&seq, ESIM_TAG_SUBJECT_KEY_ID, "euiccCiPKIdentifierToBeUsed", &tlv, error))
		return NULL;
	ok->euicc_ci_pkid_to_be_used = esim_tlv_dup_raw (&tlv);
	if (!seq_require (&seq, ESIM_TAG_SEQUENCE, "serverCertificate", &tlv, error))
		return NULL;
	ok->server_certificate = esim_tlv_dup_raw (&tlv);
	if (seq_take (&seq, ESIM_TAG_ESIPA_MATCHING_ID, &tlv) &&
	    (ok->matching_id = esim_tlv_dup_utf8 (&tlv, error)) == NULL)
		return NULL;
	if (seq_take (&seq, ESIM_TAG_ESIPA_CTX_PARAMS1, &tlv)) {
		/* [2] on the CHOICE CtxParams1 is explicit: A2 { A0 ctxParamsForCommonAuthentication } */
		if (!parse_single (&tlv, &params, error))
			return NULL;
		if (params.tag != ESIM_TAG_CTX_PARAMS_COMMON_AUTH) {
			malformed (error, "ctxParams1 has no alternative %X", params.tag);
			return NULL;
		}
		ok->ctx_params1 = esim_tlv_dup_raw (&params);
	}
	if (!seq_end (&seq, "initiateAuthenticationOkEsipa", error))
		return NULL;
	if (ok->transaction_id == NULL &&
	    (ok->transaction_id = esim_esipa_transaction_id_of_server_signed1 (ok->server_signed1,
	                                                                       error)) == NULL)
		return NULL;
	return g_steal_pointer (&ok);
}

EsimInitiateAuthenticationOk *
esim_esipa_parse_initiate_authentication_response (GBytes *body, gint *eim_error, GError **error)
{
	EsimInitiateAuthenticationOk *ok;
	GError *local = NULL;
	EsimTlv outer;
	EsimTlv choice;

	if (eim_error != NULL)
		*eim_error = -1;
	if (!parse_envelope (body, ESIM_TAG_ESIPA_INITIATE_AUTHENTICATION, &outer, &local) ||
	    !parse_relay_choice (&outer, ESIM_TAG_ESIPA_ERROR, initiate_authentication_errors,
	                         eim_error, &choice, &local))
		return fail_null (error, local, "InitiateAuthentication");
	if (choice.tag != ESIM_TAG_ESIPA_OK) {
		malformed (error, "InitiateAuthentication: no alternative %X", choice.tag);
		return NULL;
	}
	ok = parse_initiate_authentication_ok (&choice, &local);
	return ok != NULL ? ok : fail_null (error, local, "InitiateAuthentication");
}

static EsimAuthenticateClientOk *
parse_authenticate_client_dp (const EsimTlv *ok_tlv, GError **error)
{
	g_autoptr(EsimAuthenticateClientOk) ok = g_new0 (EsimAuthenticateClientOk, 1);
	g_autoptr(EsimSmdpSigned2) signed2 = NULL;
	Seq seq;
	EsimTlv tlv;

	/* A0 { 80 OPT, BF25 profileMetaData OPT, 30 smdpSigned2, 5F37, 30 smdpCertificate,
	 *      04 hashCc OPT } (after the certificate here; PrepareDownload puts it before) */
	if (!seq_load (&seq, ok_tlv, error))
		return NULL;
	if (seq_take (&seq, ESIM_TAG_TRANSACTION_ID, &tlv) &&
	    (ok->transaction_id = dup_transaction_id (&tlv, error)) == NULL)
		return NULL;
	if (seq_take (&seq, ESIM_TAG_PROFILE_METADATA, &tlv))
		ok->profile_metadata = esim_tlv_dup_raw (&tlv);
	if (!seq_require (&seq, ESIM_TAG_SEQUENCE, "smdpSigned2", &tlv, error))
		return NULL;
	ok->smdp_signed2 = esim_tlv_dup_raw (&tlv);
	if (!seq_require (&seq, ESIM_TAG_SIGNATURE, "smdpSignature2", &tlv, error))
		return NULL;
	ok->smdp_signature2 = esim_tlv_dup_raw (&tlv);
	if (!seq_require (&seq, ESIM_TAG_SEQUENCE, "smdpCertificate", &tlv, error))
		return NULL;
	ok->smdp_certificate = esim_tlv_dup_raw (&tlv);
	if (seq_take (&seq, ESIM_TAG_HASH_CC, &tlv)) {
		if (tlv.constructed || tlv.len != ESIM_HASH_CC_LENGTH) {
			malformed (error, "hashCc must be %d bytes", ESIM_HASH_CC_LENGTH);
			return NULL;
		}
		ok->hash_cc = esim_tlv_dup_raw (&tlv);
	}
	if (!seq_end (&seq, "authenticateClientOkDPEsipa", error))
		return NULL;
	if (ok->transaction_id == NULL) {
		signed2 = esim_es10_parse_smdp_signed2 (ok->smdp_signed2, error);
		if (signed2 == NULL)
			return NULL;
		ok->transaction_id = g_steal_pointer (&signed2->transaction_id);
	}
	return g_steal_pointer (&ok);
}

static EsimAuthenticateClientOk *
parse_authenticate_client_ds (const EsimTlv *ok_tlv, GError **error)
{
	g_autoptr(EsimAuthenticateClientOk) ok = g_new0 (EsimAuthenticateClientOk, 1);
	Seq seq;
	EsimTlv tlv;

	/* A1 { 80 transactionId, BF54 profileDownloadTrigger OPT } */
	ok->from_smds = TRUE;
	if (!seq_load (&seq, ok_tlv, error) ||
	    !seq_require (&seq, ESIM_TAG_TRANSACTION_ID, "transactionId", &tlv, error) ||
	    (ok->transaction_id = dup_transaction_id (&tlv, error)) == NULL)
		return NULL;
	if (seq_take (&seq, ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER, &tlv) &&
	    (ok->profile_download_trigger = parse_profile_download_trigger (&tlv, error)) == NULL)
		return NULL;
	if (!seq_end (&seq, "authenticateClientOkDSEsipa", error))
		return NULL;
	return g_steal_pointer (&ok);
}

EsimAuthenticateClientOk *
esim_esipa_parse_authenticate_client_response (GBytes *body, gint *eim_error, GError **error)
{
	EsimAuthenticateClientOk *ok = NULL;
	GError *local = NULL;
	EsimTlv outer;
	EsimTlv choice;

	if (eim_error != NULL)
		*eim_error = -1;
	/* BF3B { A0 okDP | A1 okDS | 82 error }: automatic tags on all three */
	if (!parse_envelope (body, ESIM_TAG_ESIPA_AUTHENTICATE_CLIENT, &outer, &local) ||
	    !parse_relay_choice (&outer, ESIM_TAG_ESIPA_AUTH_CLIENT_ERROR, authenticate_client_errors,
	                         eim_error, &choice, &local))
		return fail_null (error, local, "AuthenticateClient");
	if (choice.tag == ESIM_TAG_ESIPA_OK)
		ok = parse_authenticate_client_dp (&choice, &local);
	else if (choice.tag == ESIM_TAG_ESIPA_OK_DS)
		ok = parse_authenticate_client_ds (&choice, &local);
	else
		malformed (&local, "no alternative %X", choice.tag);
	return ok != NULL ? ok : fail_null (error, local, "AuthenticateClient");
}

EsimBoundProfilePackageOk *
esim_esipa_parse_get_bound_profile_package_response (GBytes *body, gint *eim_error,
                                                     GError **error)
{
	g_autoptr(EsimBoundProfilePackageOk) ok = g_new0 (EsimBoundProfilePackageOk, 1);
	GError *local = NULL;
	EsimTlv outer;
	EsimTlv choice;
	EsimTlv tlv;
	Seq seq;

	if (eim_error != NULL)
		*eim_error = -1;
	/* BF3A { A0 { 80 transactionId OPT, BF36 } | 81 error } */
	if (!parse_envelope (body, ESIM_TAG_ESIPA_GET_BOUND_PROFILE_PACKAGE, &outer, &local) ||
	    !parse_relay_choice (&outer, ESIM_TAG_ESIPA_ERROR, bound_profile_package_errors,
	                         eim_error, &choice, &local))
		return fail_null (error, local, "GetBoundProfilePackage");
	if (choice.tag != ESIM_TAG_ESIPA_OK) {
		malformed (error, "GetBoundProfilePackage: no alternative %X", choice.tag);
		return NULL;
	}
	if (!seq_load (&seq, &choice, &local))
		return fail_null (error, local, "GetBoundProfilePackage");
	if (seq_take (&seq, ESIM_TAG_TRANSACTION_ID, &tlv) &&
	    (ok->transaction_id = dup_transaction_id (&tlv, &local)) == NULL)
		return fail_null (error, local, "GetBoundProfilePackage");
	if (!seq_require (&seq, ESIM_TAG_BOUND_PROFILE_PACKAGE, "boundProfilePackage", &tlv, &local) ||
	    !seq_end (&seq, "getBoundProfilePackageOkEsipa", &local))
		return fail_null (error, local, "GetBoundProfilePackage");
	ok->bound_profile_package = esim_tlv_dup_raw (&tlv);
	if (ok->transaction_id == NULL)
		ok->transaction_id = esim_esipa_transaction_id_of_bpp (ok->bound_profile_package);
	return g_steal_pointer (&ok);
}

gboolean
esim_esipa_parse_cancel_session_response (GBytes *body, gint *eim_error, GError **error)
{
	GError *local = NULL;
	EsimTlv outer;
	EsimTlv choice;

	if (eim_error != NULL)
		*eim_error = -1;
	if (body == NULL || g_bytes_get_size (body) == 0)
		return TRUE;
	/* BF41 { A0 cancelSessionOk (an empty SEQUENCE) | 81 error } */
	if (!parse_envelope (body, ESIM_TAG_ESIPA_CANCEL_SESSION, &outer, &local) ||
	    !parse_relay_choice (&outer, ESIM_TAG_ESIPA_ERROR, cancel_session_errors, eim_error,
	                         &choice, &local)) {
		fail_null (error, local, "CancelSession");
		return FALSE;
	}
	if (choice.tag != ESIM_TAG_ESIPA_OK)
		return malformed (error, "CancelSession: no alternative %X", choice.tag);
	return TRUE;
}
