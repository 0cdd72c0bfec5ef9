/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Encoders and parsers of the ES10b download functions (esim-es10-download.h).
 * Tags come from the SGP.22 v2.5 RSPDefinitions module (AUTOMATIC TAGS); where
 * a tag is one of the automatic-tagging traps, the comment says why.  Every
 * error message starts with the ES10 function or the structure name.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-der.h"
#include "esim-es10-download.h"
#include "esim-util.h"

#define ES10_AID_MIN 5  /* SuccessResult aid OCTET STRING (SIZE (5..16)) */
#define ES10_AID_MAX 16

/* ---- result names ---- */

typedef struct {
	gint64	      code;
	const gchar  *name;
	EsimEs10Error error;
} DownloadResultName;

/* AuthenticateErrorCode */
static const DownloadResultName authenticate_errors[] = {
	{ 1, "invalidCertificate", ESIM_ES10_ERROR_CERTIFICATE },
	{ 2, "invalidSignature", ESIM_ES10_ERROR_VERIFICATION_FAILED },
	{ 3, "unsupportedCurve", ESIM_ES10_ERROR_CERTIFICATE },
	{ 4, "noSessionContext", ESIM_ES10_ERROR_NO_SESSION },
	{ 5, "invalidOid", ESIM_ES10_ERROR_CERTIFICATE },
	{ 6, "euiccChallengeMismatch", ESIM_ES10_ERROR_VERIFICATION_FAILED },
	{ 7, "ciPKUnknown", ESIM_ES10_ERROR_CERTIFICATE },
	{ 127, "undefinedError", ESIM_ES10_ERROR_UNDEFINED },
	{ 0, NULL, 0 },
};

/* DownloadErrorCode */
static const DownloadResultName download_errors[] = {
	{ 1, "invalidCertificate", ESIM_ES10_ERROR_CERTIFICATE },
	{ 2, "invalidSignature", ESIM_ES10_ERROR_VERIFICATION_FAILED },
	{ 3, "unsupportedCurve", ESIM_ES10_ERROR_CERTIFICATE },
	{ 4, "noSessionContext", ESIM_ES10_ERROR_NO_SESSION },
	{ 5, "invalidTransactionId", ESIM_ES10_ERROR_NO_SESSION },
	{ 127, "undefinedError", ESIM_ES10_ERROR_UNDEFINED },
	{ 0, NULL, 0 },
};

/* CancelSessionResponse.cancelSessionResponseError */
static const DownloadResultName cancel_session_errors[] = {
	{ 5, "invalidTransactionId", ESIM_ES10_ERROR_NO_SESSION },
	{ 127, "undefinedError", ESIM_ES10_ERROR_UNDEFINED },
	{ 0, NULL, 0 },
};

/* ProfileInstallationResult ErrorReason */
static const DownloadResultName install_errors[] = {
	{ 1, "incorrectInputValues", ESIM_ES10_ERROR_INVALID },
	{ 2, "invalidSignature", ESIM_ES10_ERROR_VERIFICATION_FAILED },
	{ 3, "invalidTransactionId", ESIM_ES10_ERROR_NO_SESSION },
	{ 4, "unsupportedCrtValues", ESIM_ES10_ERROR_INSTALL_FAILED },
	{ 5, "unsupportedRemoteOperationType", ESIM_ES10_ERROR_INSTALL_FAILED },
	{ 6, "unsupportedProfileClass", ESIM_ES10_ERROR_INSTALL_FAILED },
	{ 7, "scp03tStructureError", ESIM_ES10_ERROR_INSTALL_FAILED },
	{ 8, "scp03tSecurityError", ESIM_ES10_ERROR_VERIFICATION_FAILED },
	{ 9, "installFailedDueToIccidAlreadyExistsOnEuicc", ESIM_ES10_ERROR_ALREADY_EXISTS },
	{ 10, "installFailedDueToInsufficientMemoryForProfile", ESIM_ES10_ERROR_NO_MEMORY },
	{ 11, "installFailedDueToInterruption", ESIM_ES10_ERROR_INSTALL_FAILED },
	{ 12, "installFailedDueToPEProcessingError", ESIM_ES10_ERROR_INSTALL_FAILED },
	{ 13, "installFailedDueToDataMismatch", ESIM_ES10_ERROR_INSTALL_FAILED },
	{ 14, "testProfileInstallFailedDueToInvalidNaaKey", ESIM_ES10_ERROR_INSTALL_FAILED },
	{ 15, "pprNotAllowed", ESIM_ES10_ERROR_DISALLOWED_BY_POLICY },
	{ 127, "installFailedDueToUnknownError", ESIM_ES10_ERROR_INSTALL_FAILED },
	{ 0, NULL, 0 },
};

static const gchar *const bpp_command_names[] = {
	"initialiseSecureChannel", "configureISDP", "storeMetadata",
	"storeMetadata2", "replaceSessionKeys", "loadProfileElements",
};

static const DownloadResultName *
find_result_name (const DownloadResultName *names, gint64 code)
{
	for (guint i = 0; names[i].name != NULL; i++) {
		if (names[i].code == code)
			return &names[i];
	}
	return NULL;
}

const gchar *
esim_install_error_reason_to_string (gint reason)
{
	const DownloadResultName *name = find_result_name (install_errors, reason);
	return name != NULL ? name->name : "unknown";
}

const gchar *
esim_bpp_command_id_to_string (gint command_id)
{
	if (command_id < 0 || command_id >= (gint) G_N_ELEMENTS (bpp_command_names))
		return "unknown";
	return bpp_command_names[command_id];
}

const gchar *
esim_cancel_session_reason_to_string (gint reason)
{
	switch (reason) {
	case ESIM_CANCEL_SESSION_END_USER_REJECTION:
		return "endUserRejection";
	case ESIM_CANCEL_SESSION_POSTPONED:
		return "postponed";
	case ESIM_CANCEL_SESSION_TIMEOUT:
		return "timeout";
	case ESIM_CANCEL_SESSION_PPR_NOT_ALLOWED:
		return "pprNotAllowed";
	case ESIM_CANCEL_SESSION_METADATA_MISMATCH:
		return "metadataMismatch";
	case ESIM_CANCEL_SESSION_LOAD_BPP_EXECUTION_ERROR:
		return "loadBppExecutionError";
	case ESIM_CANCEL_SESSION_UNDEFINED:
		return "undefinedReason";
	default:
		return "unknown";
	}
}

/* The card's error code as ESIM_ES10_ERROR: "name (n)[, transaction …]". */
static void
set_code_error (GError **error, const DownloadResultName *names, gint64 code,
		const gchar *transaction_id)
{
	const DownloadResultName *name = find_result_name (names, code);
	g_autofree gchar *suffix = NULL;

	if (transaction_id != NULL)
		suffix = g_strdup_printf (", transaction %s", transaction_id);
	if (name == NULL) {
		g_set_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_UNDEFINED,
			     "unknown error code (%" G_GINT64_FORMAT ")%s", code,
			     suffix != NULL ? suffix : "");
		return;
	}
	g_set_error (error, ESIM_ES10_ERROR, name->error, "%s (%" G_GINT64_FORMAT ")%s",
		     name->name, code, suffix != NULL ? suffix : "");
}

/* ---- shared helpers ---- */

static gpointer
fail_null (GError **error, const gchar *function)
{
	g_prefix_error (error, "%s: ", function);
	return NULL;
}

/* @bytes must be exactly one TLV with @tag. */
static gboolean
parse_whole (GBytes *bytes, EsimTag tag, EsimTlv *out, GError **error)
{
	const guint8 *data = NULL;
	gsize len = 0;

	if (bytes != NULL)
		data = g_bytes_get_data (bytes, &len);
	if (len == 0) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING,
			     "empty, expected %X", tag);
		return FALSE;
	}
	return esim_tlv_parse_tagged (data, len, tag, out, error);
}

static gboolean
find_required (const EsimTlv *parent, EsimTag tag, const gchar *what, EsimTlv *out,
	       GError **error)
{
	g_autoptr(GError) error_local = NULL;

	if (esim_tlv_find (parent, tag, out, &error_local))
		return TRUE;
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return FALSE;
	}
	g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING, "%s (%X) missing", what, tag);
	return FALSE;
}

/* FALSE only on malformed input; *found says whether @tag is there. */
static gboolean
find_optional (const EsimTlv *parent, EsimTag tag, EsimTlv *out, gboolean *found,
	       GError **error)
{
	g_autoptr(GError) error_local = NULL;

	*found = esim_tlv_find (parent, tag, out, &error_local);
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return FALSE;
	}
	return TRUE;
}

/* The single element of a CHOICE-typed answer. */
static gboolean
parse_choice (const EsimTlv *outer, EsimTlv *out, GError **error)
{
	if (outer->len == 0) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING, "%X is empty",
			     outer->tag);
		return FALSE;
	}
	return esim_tlv_parse_exact (outer->value, outer->len, out, error);
}

static gboolean
unexpected_choice (const EsimTlv *choice, GError **error)
{
	if (choice->tag == ESIM_TAG_RESPONSE_COMPACT) {
		/* SGP.32 compact forms are built by an IPA for the eIM; a card
		 * answers ES10 in full */
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
				     "compact answer (A2) from the card, which must answer in full");
		return FALSE;
	}
	g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
		     "unexpected answer %X", choice->tag);
	return FALSE;
}

/* TransactionId OCTET STRING (SIZE(1..16)) as upper-case hex. */
static gchar *
dup_transaction_id (const EsimTlv *tlv, GError **error)
{
	if (tlv->constructed || tlv->len < 1 || tlv->len > ESIM_TRANSACTION_ID_MAX_LENGTH) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "transactionId must be 1 to %d bytes, got %" G_GSIZE_FORMAT,
			     ESIM_TRANSACTION_ID_MAX_LENGTH, tlv->len);
		return NULL;
	}
	return esim_hex_encode (tlv->value, tlv->len);
}

static gboolean
take_transaction_id (const EsimTlv *parent, gchar **out, GError **error)
{
	EsimTlv tlv;

	if (!find_required (parent, ESIM_TAG_TRANSACTION_ID, "transactionId", &tlv, error))
		return FALSE;
	*out = dup_transaction_id (&tlv, error);
	return *out != NULL;
}

static GBytes *
dup_octets (const EsimTlv *tlv, gsize size, const gchar *what, GError **error)
{
	if (tlv->constructed || tlv->len != size) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "%s must be %" G_GSIZE_FORMAT " bytes, got %" G_GSIZE_FORMAT, what,
			     size, tlv->len);
		return NULL;
	}
	return esim_tlv_dup_value (tlv);
}

/* OBJECT IDENTIFIER contents -> "2.999.10".  Arcs must fit 32 bits. */
static gchar *
dup_oid (const EsimTlv *tlv, GError **error)
{
	g_autoptr(GString) str = g_string_new (NULL);
	guint64 arc = 0;
	gboolean first = TRUE;

	if (tlv->constructed || tlv->len == 0 || (tlv->value[tlv->len - 1] & 0x80) != 0)
		goto bad;
	for (gsize i = 0; i < tlv->len; i++) {
		/* a leading 0x80 would be a non-minimal arc */
		if (arc == 0 && tlv->value[i] == 0x80)
			goto bad;
		arc = (arc << 7) | (tlv->value[i] & 0x7F);
		if (arc > G_MAXUINT32 + (guint64) 80)
			goto bad;
		if (tlv->value[i] & 0x80)
			continue;
		if (first) {
			guint top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
			g_string_append_printf (str, "%u.%" G_GUINT64_FORMAT, top, arc - 40 * top);
			first = FALSE;
		} else {
			g_string_append_printf (str, ".%" G_GUINT64_FORMAT, arc);
		}
		arc = 0;
	}
	return g_string_free (g_steal_pointer (&str), FALSE);

bad:
	g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
		     "malformed OBJECT IDENTIFIER %X", tlv->tag);
	return NULL;
}

static gboolean
get_small_int (const EsimTlv *tlv, gint *out, GError **error)
{
	gint64 value = 0;

	if (!esim_tlv_get_int (tlv, &value, error))
		return FALSE;
	if (value < G_MININT || value > G_MAXINT) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "value of %X out of range", tlv->tag);
		return FALSE;
	}
	*out = (gint) value;
	return TRUE;
}

static gchar *
dup_iccid (const EsimTlv *tlv, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	gchar *iccid = esim_iccid_from_bcd (tlv->value, tlv->len, &error_local);

	if (iccid == NULL)
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE, "iccid: %s",
			     error_local->message);
	return iccid;
}

/* NotificationMetadata (BF2F): the same decoding as the notification list's
 * (esim-es10-parse.c), for the metadata inside a ProfileInstallationResult. */
static gboolean
parse_notification_metadata (const EsimTlv *tlv, EsimNotificationMetadata *meta, GError **error)
{
	EsimTlv item;
	guint32 events = 0;
	gboolean found = FALSE;

	if (!find_required (tlv, ESIM_TAG_NOTIF_SEQ_NUMBER, "seqNumber", &item, error) ||
	    !esim_tlv_get_uint (&item, &meta->seq_number, error))
		return FALSE;
	if (!find_required (tlv, ESIM_TAG_NOTIF_OPERATION, "profileManagementOperation", &item,
			    error) ||
	    !esim_tlv_get_named_bits (&item, 4, &events, error))
		return FALSE;
	meta->events = events;
	if (!find_required (tlv, ESIM_TAG_NOTIF_ADDRESS, "notificationAddress", &item, error))
		return FALSE;
	meta->address = esim_tlv_dup_utf8 (&item, error);
	if (meta->address == NULL)
		return FALSE;
	if (!find_optional (tlv, ESIM_TAG_ICCID, &item, &found, error))
		return FALSE;
	if (found) {
		meta->iccid = dup_iccid (&item, error);
		if (meta->iccid == NULL)
			return FALSE;
	}
	return TRUE;
}

/* An input that must be exactly one TLV with @tag; refused before the card. */
static gboolean
check_input_tlv (GBytes *bytes, EsimTag tag, const gchar *what, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlv tlv;

	if (bytes == NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s missing", what);
		return FALSE;
	}
	if (!parse_whole (bytes, tag, &tlv, &error_local)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: %s", what,
			     error_local->message);
		return FALSE;
	}
	return TRUE;
}

static void
put_bytes_raw (EsimDerWriter *writer, GBytes *tlv)
{
	esim_der_writer_put_raw (writer, g_bytes_get_data (tlv, NULL), g_bytes_get_size (tlv));
}

/* Decimal digits as TBCD (3GPP TS 29.002 §17.7.8): digit 2n-1 in the low
 * nibble of octet n, digit 2n in the high one, F filler. */
static void
digits_to_tbcd (const gchar *digits, guint8 *out, gsize out_len)
{
	gsize n = strlen (digits);

	for (gsize i = 0; i < out_len; i++) {
		guint8 low = 2 * i < n ? (guint8) (digits[2 * i] - '0') : 0x0F;
		guint8 high = 2 * i + 1 < n ? (guint8) (digits[2 * i + 1] - '0') : 0x0F;
		out[i] = (guint8) ((high << 4) | low);
	}
}

static gboolean
all_digits (const gchar *str, gsize len)
{
	if (strlen (str) != len)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isdigit (str[i]))
			return FALSE;
	}
	return TRUE;
}

/* TransactionId hex -> bytes (1..16). */
static GBytes *
decode_transaction_id (const gchar *hex, GError **error)
{
	g_autoptr(GBytes) bytes = NULL;

	if (hex == NULL) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				     "no transaction ID given");
		return NULL;
	}
	bytes = esim_hex_decode (hex, NULL);
	if (bytes == NULL || g_bytes_get_size (bytes) < 1 ||
	    g_bytes_get_size (bytes) > ESIM_TRANSACTION_ID_MAX_LENGTH) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			     "transaction ID must be 1 to %d bytes of hex",
			     ESIM_TRANSACTION_ID_MAX_LENGTH);
		return NULL;
	}
	return g_steal_pointer (&bytes);
}

/* ---- DeviceInfo ---- */

void
esim_device_info_init (EsimDeviceInfo *info)
{
	g_return_if_fail (info != NULL);
	memset (info, 0, sizeof (*info));
}

void
esim_device_info_declare_radios (EsimDeviceInfo *info, guint radios)
{
	g_return_if_fail (info != NULL);

	if (radios & ESIM_DEVICE_RADIO_GSM)
		info->releases[ESIM_DEVICE_CAP_GSM] = 8;
	if (radios & ESIM_DEVICE_RADIO_UMTS)
		info->releases[ESIM_DEVICE_CAP_UTRAN] = 8;
	if (radios & ESIM_DEVICE_RADIO_LTE)
		info->releases[ESIM_DEVICE_CAP_EUTRAN_EPC] = 8;
	if (radios & ESIM_DEVICE_RADIO_NR)
		info->releases[ESIM_DEVICE_CAP_NR_5GC] = 15;
}

static gboolean
put_device_info (EsimDerWriter *writer, const EsimDeviceInfo *info, EsimTag tag, GError **error)
{
	g_autofree gchar *tac_from_imei = NULL;
	const gchar *tac = info->tac;
	guint8 tac_bytes[ESIM_TAC_LENGTH];
	guint8 imei_bytes[ESIM_IMEI_LENGTH];

	/* the TAC is the IMEI's first 8 digits */
	if (tac == NULL && info->imei != NULL)
		tac = tac_from_imei = g_strndup (info->imei, 2 * ESIM_TAC_LENGTH);
	if (tac == NULL)
		tac = ESIM_DEVICE_TAC_NONE;
	if (!all_digits (tac, 2 * ESIM_TAC_LENGTH)) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				     "deviceInfo: the TAC must be 8 decimal digits");
		return FALSE;
	}
	if (info->imei != NULL) {
		/* a TAC that is not the IMEI's is a bug upstream */
		if (!all_digits (info->imei, 15) || strncmp (info->imei, tac, 8) != 0) {
			g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
					     "deviceInfo: the IMEI must be 15 decimal digits "
					     "starting with the TAC");
			return FALSE;
		}
		/* SGP.22 v2.1+ §4.2 (quoted in AOSP EuiccPort.getDeviceId): TBCD,
		 * but the last octet is check digit (high nibble), F (low) */
		digits_to_tbcd (info->imei, imei_bytes, sizeof (imei_bytes));
		imei_bytes[7] = (guint8) ((imei_bytes[7] << 4) | (imei_bytes[7] >> 4));
	}
	digits_to_tbcd (tac, tac_bytes, sizeof (tac_bytes));

	/* DeviceInfo and DeviceCapabilities have no tagged member: automatic tags */
	esim_der_writer_begin (writer, tag);
	esim_der_writer_put (writer, ESIM_TAG_DEVICE_TAC, tac_bytes, sizeof (tac_bytes));
	esim_der_writer_begin (writer, ESIM_TAG_DEVICE_CAPABILITIES);
	for (guint cap = 0; cap < ESIM_DEVICE_CAP_COUNT; cap++) {
		const guint8 version[3] = { info->releases[cap], 0, 0 };

		if (info->releases[cap] == 0)
			continue;
		esim_der_writer_put (writer, ESIM_TAG_DEVICE_CAPABILITY_BASE + cap, version,
				     sizeof (version));
	}
	esim_der_writer_end (writer);
	if (info->imei != NULL)
		esim_der_writer_put (writer, ESIM_TAG_DEVICE_IMEI, imei_bytes, sizeof (imei_bytes));
	esim_der_writer_end (writer);
	return TRUE;
}

GBytes *
esim_device_info_encode (const EsimDeviceInfo *info, EsimTag tag, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	g_return_val_if_fail (info != NULL, NULL);

	if (!put_device_info (writer, info, tag, error))
		return NULL;
	return esim_der_writer_finish (writer);
}

/* ---- GetEuiccChallenge ---- */

GBytes *
esim_es10_encode_get_euicc_challenge (void)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, ESIM_TAG_GET_EUICC_CHALLENGE);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
esim_es10_parse_get_euicc_challenge (GBytes *response, GError **error)
{
	EsimTlv outer;
	EsimTlv tlv;
	GBytes *challenge;

	if (!parse_whole (response, ESIM_TAG_GET_EUICC_CHALLENGE, &outer, error) ||
	    !find_required (&outer, ESIM_TAG_EUICC_CHALLENGE, "euiccChallenge", &tlv, error))
		return fail_null (error, "GetEuiccChallenge");
	challenge = dup_octets (&tlv, ESIM_EUICC_CHALLENGE_LENGTH, "euiccChallenge", error);
	if (challenge == NULL)
		return fail_null (error, "GetEuiccChallenge");
	return challenge;
}

/* ---- ServerSigned1, SmdpSigned2 ---- */

void
esim_server_signed1_free (EsimServerSigned1 *s)
{
	if (s == NULL)
		return;
	g_free (s->transaction_id);
	g_clear_pointer (&s->euicc_challenge, g_bytes_unref);
	g_free (s->server_address);
	g_clear_pointer (&s->server_challenge, g_bytes_unref);
	g_free (s);
}

EsimServerSigned1 *
esim_es10_parse_server_signed1 (GBytes *server_signed1, GError **error)
{
	g_autoptr(EsimServerSigned1) s = g_new0 (EsimServerSigned1, 1);
	EsimTlv outer;
	EsimTlv tlv;

	/* ServerSigned1 tags its members itself ([0] [1] [3] [4]) */
	if (!parse_whole (server_signed1, ESIM_TAG_SEQUENCE, &outer, error) ||
	    !take_transaction_id (&outer, &s->transaction_id, error))
		return fail_null (error, "ServerSigned1");
	if (!find_required (&outer, ESIM_TAG_SIGNED1_EUICC_CHALLENGE, "euiccChallenge", &tlv,
			    error) ||
	    (s->euicc_challenge = dup_octets (&tlv, ESIM_EUICC_CHALLENGE_LENGTH, "euiccChallenge",
					      error)) == NULL)
		return fail_null (error, "ServerSigned1");
	if (!find_required (&outer, ESIM_TAG_SIGNED1_SERVER_ADDRESS, "serverAddress", &tlv,
			    error) ||
	    (s->server_address = esim_tlv_dup_utf8 (&tlv, error)) == NULL)
		return fail_null (error, "ServerSigned1");
	if (!find_required (&outer, ESIM_TAG_SIGNED1_SERVER_CHALLENGE, "serverChallenge", &tlv,
			    error) ||
	    (s->server_challenge = dup_octets (&tlv, ESIM_EUICC_CHALLENGE_LENGTH, "serverChallenge",
					       error)) == NULL)
		return fail_null (error, "ServerSigned1");
	return g_steal_pointer (&s);
}

void
esim_smdp_signed2_free (EsimSmdpSigned2 *s)
{
	if (s == NULL)
		return;
	g_free (s->transaction_id);
	g_free (s);
}

EsimSmdpSigned2 *
esim_es10_parse_smdp_signed2 (GBytes *smdp_signed2, GError **error)
{
	g_autoptr(EsimSmdpSigned2) s = g_new0 (EsimSmdpSigned2, 1);
	EsimTlv outer;
	EsimTlv tlv;

	/* transactionId is tagged [0], so ccRequiredFlag keeps its universal 01 */
	if (!parse_whole (smdp_signed2, ESIM_TAG_SEQUENCE, &outer, error) ||
	    !take_transaction_id (&outer, &s->transaction_id, error) ||
	    !find_required (&outer, ESIM_TAG_CC_REQUIRED_FLAG, "ccRequiredFlag", &tlv, error) ||
	    !esim_tlv_get_bool (&tlv, &s->cc_required, error) ||
	    !find_optional (&outer, ESIM_TAG_OTPK, &tlv, &s->has_bpp_euicc_otpk, error))
		return fail_null (error, "SmdpSigned2");
	return g_steal_pointer (&s);
}

/* ---- StoreMetadataRequest ---- */

static void
notification_config_free (EsimNotificationConfig *config)
{
	g_free (config->address);
	g_free (config);
}

void
esim_profile_metadata_free (EsimProfileMetadata *m)
{
	if (m == NULL)
		return;
	g_free (m->iccid);
	g_free (m->service_provider);
	g_free (m->name);
	g_clear_pointer (&m->notification_configs, g_ptr_array_unref);
	g_clear_pointer (&m->raw, g_bytes_unref);
	g_free (m);
}

/* notificationConfigurationInfo [22] (B6): SEQUENCE OF 30 { 80 events, 81 address } */
static gboolean
parse_notification_configs (const EsimTlv *list, GPtrArray *out, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv child;

	esim_tlv_iter_init (&iter, list);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		EsimNotificationConfig *config;
		EsimTlv item;
		guint32 events = 0;
		gchar *address;

		if (child.tag != ESIM_TAG_SEQUENCE)
			continue;
		if (!find_required (&child, ESIM_TAG_NOTIF_CONFIG_OPERATION,
				    "profileManagementOperation", &item, error) ||
		    !esim_tlv_get_named_bits (&item, 4, &events, error) ||
		    !find_required (&child, ESIM_TAG_NOTIF_CONFIG_ADDRESS, "notificationAddress",
				    &item, error))
			return FALSE;
		address = esim_tlv_dup_utf8 (&item, error);
		if (address == NULL)
			return FALSE;
		config = g_new0 (EsimNotificationConfig, 1);
		config->events = events;
		config->address = address;
		g_ptr_array_add (out, config);
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return FALSE;
	}
	return TRUE;
}

static gboolean
parse_metadata_member (const EsimTlv *tlv, EsimProfileMetadata *m, GError **error)
{
	gint value = 0;

	switch (tlv->tag) {
	case ESIM_TAG_ICCID:
		g_free (m->iccid);
		m->iccid = dup_iccid (tlv, error);
		return m->iccid != NULL;
	case ESIM_TAG_META_SERVICE_PROVIDER:
		g_free (m->service_provider);
		m->service_provider = esim_tlv_dup_utf8 (tlv, error);
		return m->service_provider != NULL;
	case ESIM_TAG_META_PROFILE_NAME:
		g_free (m->name);
		m->name = esim_tlv_dup_utf8 (tlv, error);
		return m->name != NULL;
	case ESIM_TAG_META_ICON_TYPE:
		if (!get_small_int (tlv, &value, error))
			return FALSE;
		m->icon_type = value;
		return TRUE;
	case ESIM_TAG_META_PROFILE_CLASS:
		if (!get_small_int (tlv, &value, error))
			return FALSE;
		m->profile_class = value >= 0 && value <= ESIM_PROFILE_CLASS_OPERATIONAL
					   ? (EsimProfileClass) value
					   : ESIM_PROFILE_CLASS_UNKNOWN;
		return TRUE;
	case ESIM_TAG_META_NOTIFICATION_CONFIG:
		return parse_notification_configs (tlv, m->notification_configs, error);
	case ESIM_TAG_META_PPR:
		return esim_tlv_get_named_bits (tlv, 32, &m->ppr_ids, error);
	default:
		/* icon, profileOwner, service specific data, SGP.32 additions */
		return TRUE;
	}
}

EsimProfileMetadata *
esim_es10_parse_profile_metadata (GBytes *store_metadata_request, GError **error)
{
	g_autoptr(EsimProfileMetadata) m = g_new0 (EsimProfileMetadata, 1);
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv outer;
	EsimTlv child;

	m->profile_class = ESIM_PROFILE_CLASS_OPERATIONAL;
	m->icon_type = -1;
	m->notification_configs =
		g_ptr_array_new_with_free_func ((GDestroyNotify) notification_config_free);
	if (!parse_whole (store_metadata_request, ESIM_TAG_PROFILE_METADATA, &outer, error))
		return fail_null (error, "StoreMetadataRequest");
	esim_tlv_iter_init (&iter, &outer);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		if (!parse_metadata_member (&child, m, error)) {
			g_prefix_error (error, "%X: ", child.tag);
			return fail_null (error, "StoreMetadataRequest");
		}
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return fail_null (error, "StoreMetadataRequest");
	}
	/* iccid, serviceProviderName and profileName are not OPTIONAL */
	if (m->iccid == NULL || m->service_provider == NULL || m->name == NULL) {
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING,
				     "iccid (5A), serviceProviderName (91) or profileName (92) "
				     "missing");
		return fail_null (error, "StoreMetadataRequest");
	}
	m->raw = esim_tlv_dup_raw (&outer);
	return g_steal_pointer (&m);
}

/* ---- AuthenticateServer ---- */

void
esim_authenticate_server_ok_free (EsimAuthenticateServerOk *ok)
{
	if (ok == NULL)
		return;
	g_free (ok->transaction_id);
	g_free (ok->server_address);
	g_clear_pointer (&ok->raw, g_bytes_unref);
	g_free (ok);
}

GBytes *
esim_es10_encode_authenticate_server (const EsimAuthenticateServerInput *input, GError **error)
{
	g_autoptr(EsimDerWriter) writer = NULL;
	EsimDeviceInfo defaults;
	const EsimDeviceInfo *device_info;

	g_return_val_if_fail (input != NULL, NULL);

	if (!check_input_tlv (input->server_signed1, ESIM_TAG_SEQUENCE, "serverSigned1", error) ||
	    !check_input_tlv (input->server_signature1, ESIM_TAG_SIGNATURE, "serverSignature1",
			      error) ||
	    !check_input_tlv (input->euicc_ci_pkid_to_be_used, ESIM_TAG_SUBJECT_KEY_ID,
			      "euiccCiPKIdToBeUsed", error) ||
	    !check_input_tlv (input->server_certificate, ESIM_TAG_SEQUENCE, "serverCertificate",
			      error))
		return fail_null (error, "AuthenticateServer");
	if (input->ctx_params1 != NULL &&
	    !check_input_tlv (input->ctx_params1, ESIM_TAG_CTX_PARAMS_COMMON_AUTH, "ctxParams1",
			      error))
		return fail_null (error, "AuthenticateServer");
	if (input->matching_id != NULL && !g_utf8_validate (input->matching_id, -1, NULL)) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				     "matchingId is not valid UTF-8");
		return fail_null (error, "AuthenticateServer");
	}
	esim_device_info_init (&defaults);
	device_info = input->device_info != NULL ? input->device_info : &defaults;

	/* serverSignature1 is tagged, so the request has no automatic tags: the
	 * server's four TLVs keep their own tags, in definition order */
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, ESIM_TAG_AUTHENTICATE_SERVER);
	put_bytes_raw (writer, input->server_signed1);
	put_bytes_raw (writer, input->server_signature1);
	put_bytes_raw (writer, input->euicc_ci_pkid_to_be_used);
	put_bytes_raw (writer, input->server_certificate);
	if (input->ctx_params1 != NULL) {
		put_bytes_raw (writer, input->ctx_params1);
		esim_der_writer_end (writer);
		return esim_der_writer_finish (writer);
	}
	/* ctxParams1 is an untagged CHOICE whose alternative gets automatic [0]:
	 * A0 { 80 matchingId, A1 deviceInfo } (AOSP EuiccPort.authenticateServer) */
	esim_der_writer_begin (writer, ESIM_TAG_CTX_PARAMS_COMMON_AUTH);
	if (input->matching_id != NULL)
		esim_der_writer_put_utf8 (writer, ESIM_TAG_CTX_MATCHING_ID, input->matching_id);
	if (!put_device_info (writer, device_info, ESIM_TAG_CTX_DEVICE_INFO, error))
		return fail_null (error, "AuthenticateServer");
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* authenticate/downloadResponseError: A1 { 80 transactionId, 02 code }.  The
 * code is what matters: reported even when a card leaves the transaction out. */
static void
set_response_error (const EsimTlv *choice, const DownloadResultName *names, GError **error)
{
	g_autofree gchar *transaction_id = NULL;
	EsimTlv tlv;
	gboolean found = FALSE;
	gint64 code = 0;

	if (!find_required (choice, ESIM_TAG_ERROR_CODE, "error code", &tlv, error) ||
	    !esim_tlv_get_int (&tlv, &code, error))
		return;
	if (!find_optional (choice, ESIM_TAG_TRANSACTION_ID, &tlv, &found, error))
		return;
	if (found) {
		transaction_id = dup_transaction_id (&tlv, error);
		if (transaction_id == NULL)
			return;
	}
	set_code_error (error, names, code, transaction_id);
}

/* Common shape of AuthenticateServer and PrepareDownload answers: the ok
 * alternative into @ok, or an error (with the raw answer in @error_response). */
static gboolean
parse_ok_or_error (GBytes *response, EsimTag tag, const DownloadResultName *names, EsimTlv *outer,
		   EsimTlv *ok, GBytes **error_response, GError **error)
{
	g_autoptr(GError) error_local = NULL;

	if (error_response != NULL)
		*error_response = NULL;
	if (!parse_whole (response, tag, outer, error) || !parse_choice (outer, ok, error))
		return FALSE;
	if (ok->tag == ESIM_TAG_RESPONSE_OK)
		return TRUE;
	if (ok->tag != ESIM_TAG_RESPONSE_ERROR)
		return unexpected_choice (ok, error);
	set_response_error (ok, names, &error_local);
	if (error_response != NULL && error_local->domain == ESIM_ES10_ERROR)
		*error_response = esim_tlv_dup_raw (outer);
	g_propagate_error (error, g_steal_pointer (&error_local));
	return FALSE;
}

EsimAuthenticateServerOk *
esim_es10_parse_authenticate_server (GBytes *response, GBytes **error_response, GError **error)
{
	g_autoptr(EsimAuthenticateServerOk) result = g_new0 (EsimAuthenticateServerOk, 1);
	EsimTlv outer;
	EsimTlv ok;
	EsimTlv signed1;
	EsimTlv tlv;

	if (!parse_ok_or_error (response, ESIM_TAG_AUTHENTICATE_SERVER, authenticate_errors, &outer,
				&ok, error_response, error))
		return fail_null (error, "AuthenticateServer");
	/* AuthenticateResponseOk has a tagged member (5F37): universal 30s */
	if (!find_required (&ok, ESIM_TAG_SEQUENCE, "euiccSigned1", &signed1, error) ||
	    !take_transaction_id (&signed1, &result->transaction_id, error) ||
	    !find_required (&signed1, ESIM_TAG_SIGNED1_SERVER_ADDRESS, "serverAddress", &tlv,
			    error) ||
	    (result->server_address = esim_tlv_dup_utf8 (&tlv, error)) == NULL ||
	    !find_required (&ok, ESIM_TAG_SIGNATURE, "euiccSignature1", &tlv, error))
		return fail_null (error, "AuthenticateServer");
	result->raw = esim_tlv_dup_raw (&outer);
	return g_steal_pointer (&result);
}

/* ---- PrepareDownload ---- */

void
esim_prepare_download_ok_free (EsimPrepareDownloadOk *ok)
{
	if (ok == NULL)
		return;
	g_free (ok->transaction_id);
	g_clear_pointer (&ok->raw, g_bytes_unref);
	g_free (ok);
}

GBytes *
esim_es10_compute_hash_cc (const gchar *confirmation_code, const gchar *transaction_id,
			   GError **error)
{
	g_autoptr(GChecksum) checksum = NULL;
	g_autoptr(GBytes) transaction = NULL;
	guint8 digest[ESIM_HASH_CC_LENGTH];
	gsize digest_len = sizeof (digest);

	g_return_val_if_fail (confirmation_code != NULL, NULL);

	transaction = decode_transaction_id (transaction_id, error);
	if (transaction == NULL)
		return fail_null (error, "hashCc");
	if (confirmation_code[0] == '\0') {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				     "hashCc: empty confirmation code");
		return NULL;
	}
	/* SHA-256 (SHA-256 (code) ‖ transactionId), as lpac es10b_prepare_download */
	checksum = g_checksum_new (G_CHECKSUM_SHA256);
	g_checksum_update (checksum, (const guchar *) confirmation_code, strlen (confirmation_code));
	g_checksum_get_digest (checksum, digest, &digest_len);
	g_checksum_free (g_steal_pointer (&checksum));
	checksum = g_checksum_new (G_CHECKSUM_SHA256);
	g_checksum_update (checksum, digest, sizeof (digest));
	g_checksum_update (checksum, g_bytes_get_data (transaction, NULL),
			   g_bytes_get_size (transaction));
	digest_len = sizeof (digest);
	g_checksum_get_digest (checksum, digest, &digest_len);
	return g_bytes_new (digest, sizeof (digest));
}

GBytes *
esim_es10_encode_prepare_download (const EsimPrepareDownloadInput *input, GError **error)
{
	g_autoptr(EsimDerWriter) writer = NULL;
	g_autoptr(EsimSmdpSigned2) signed2 = NULL;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail (input != NULL, NULL);

	if (!check_input_tlv (input->smdp_signed2, ESIM_TAG_SEQUENCE, "smdpSigned2", error) ||
	    !check_input_tlv (input->smdp_signature2, ESIM_TAG_SIGNATURE, "smdpSignature2",
			      error) ||
	    !check_input_tlv (input->smdp_certificate, ESIM_TAG_SEQUENCE, "smdpCertificate",
			      error))
		return fail_null (error, "PrepareDownload");
	if (input->hash_cc != NULL && g_bytes_get_size (input->hash_cc) != ESIM_HASH_CC_LENGTH) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			     "hashCc must be %d bytes", ESIM_HASH_CC_LENGTH);
		return fail_null (error, "PrepareDownload");
	}
	signed2 = esim_es10_parse_smdp_signed2 (input->smdp_signed2, &error_local);
	if (signed2 == NULL) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				     error_local->message);
		return fail_null (error, "PrepareDownload");
	}
	if (signed2->cc_required && input->hash_cc == NULL) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				     "the SM-DP+ requires a confirmation code");
		return fail_null (error, "PrepareDownload");
	}

	/* smdpSignature2 is tagged, so no automatic tags: hashCc is a universal
	 * OCTET STRING, and it comes before smdpCertificate */
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, ESIM_TAG_PREPARE_DOWNLOAD);
	put_bytes_raw (writer, input->smdp_signed2);
	put_bytes_raw (writer, input->smdp_signature2);
	if (input->hash_cc != NULL)
		esim_der_writer_put_bytes (writer, ESIM_TAG_HASH_CC, input->hash_cc);
	put_bytes_raw (writer, input->smdp_certificate);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

EsimPrepareDownloadOk *
esim_es10_parse_prepare_download (GBytes *response, GBytes **error_response, GError **error)
{
	g_autoptr(EsimPrepareDownloadOk) result = g_new0 (EsimPrepareDownloadOk, 1);
	EsimTlv outer;
	EsimTlv ok;
	EsimTlv signed2;
	EsimTlv tlv;

	if (!parse_ok_or_error (response, ESIM_TAG_PREPARE_DOWNLOAD, download_errors, &outer, &ok,
				error_response, error))
		return fail_null (error, "PrepareDownload");
	/* PrepareDownloadResponseOk { 30 euiccSigned2 { 80, 5F49, 04? }, 5F37 } */
	if (!find_required (&ok, ESIM_TAG_SEQUENCE, "euiccSigned2", &signed2, error) ||
	    !take_transaction_id (&signed2, &result->transaction_id, error) ||
	    !find_required (&signed2, ESIM_TAG_OTPK, "euiccOtpk", &tlv, error) ||
	    !find_required (&ok, ESIM_TAG_SIGNATURE, "euiccSignature2", &tlv, error))
		return fail_null (error, "PrepareDownload");
	result->raw = esim_tlv_dup_raw (&outer);
	return g_steal_pointer (&result);
}

/* ---- BoundProfilePackage segmentation ---- */

/* Appends the slice [@start, @start + @len) of @bpp. */
static gboolean
add_segment (GPtrArray *segments, GBytes *bpp, const guint8 *start, gsize len, GError **error)
{
	const guint8 *base = g_bytes_get_data (bpp, NULL);

	if (segments->len >= ESIM_BPP_MAX_SEGMENTS) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_LENGTH,
			     "more than %d segments", ESIM_BPP_MAX_SEGMENTS);
		return FALSE;
	}
	if (len > (gsize) ESIM_STORE_DATA_MAX_BLOCKS * ESIM_STORE_DATA_MAX_SEGMENT) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_LENGTH,
			     "a segment of %" G_GSIZE_FORMAT " bytes is more than %d STORE DATA "
			     "blocks can carry", len, ESIM_STORE_DATA_MAX_BLOCKS);
		return FALSE;
	}
	g_ptr_array_add (segments, g_bytes_new_from_bytes (bpp, start - base, len));
	return TRUE;
}

/* A list (A1, A3) sent as its header, then one segment per item; or (A0, A2)
 * sent whole.  Every item must be the primitive @item_tag. */
static gboolean
add_list (GPtrArray *segments, GBytes *bpp, const EsimTlv *list, EsimTag item_tag,
	  gboolean item_by_item, gboolean may_be_empty, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv item;
	guint n_items = 0;

	if (!list->constructed) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "%X must be constructed", list->tag);
		return FALSE;
	}
	if (!add_segment (segments, bpp, list->raw,
			  item_by_item ? (gsize) (list->value - list->raw) : list->raw_len, error))
		return FALSE;
	esim_tlv_iter_init (&iter, list);
	while (esim_tlv_iter_next (&iter, &item, &error_local)) {
		if (item.tag != item_tag) {
			g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
				     "%X holds %X, expected only %X", list->tag, item.tag, item_tag);
			return FALSE;
		}
		n_items++;
		if (item_by_item && !add_segment (segments, bpp, item.raw, item.raw_len, error))
			return FALSE;
	}
	if (error_local != NULL) {
		g_propagate_prefixed_error (error, g_steal_pointer (&error_local), "%X: ",
					    list->tag);
		return FALSE;
	}
	if (n_items == 0 && !may_be_empty) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING, "%X holds no %X",
			     list->tag, item_tag);
		return FALSE;
	}
	return TRUE;
}

/* The BoundProfilePackage members in order: tag, optional, sent item by item,
 * item tag (0: sent with the BF36 header, content not ours to check). */
static const struct {
	EsimTag	 tag;
	gboolean optional;
	gboolean item_by_item;
	EsimTag	 item_tag;
	gboolean may_be_empty;
} bpp_members[] = {
	{ ESIM_TAG_INITIALISE_SECURE_CHANNEL, FALSE, FALSE, 0, TRUE },
	{ ESIM_TAG_BPP_CONFIGURE_ISDP_LIST, FALSE, FALSE, ESIM_TAG_BPP_CONFIGURE_ISDP, FALSE },
	{ ESIM_TAG_BPP_STORE_METADATA_LIST, FALSE, TRUE, ESIM_TAG_BPP_STORE_METADATA, FALSE },
	/* AOSP sends an empty A2 whole (EuiccPortTest.testLoadBoundProfilePackage) */
	{ ESIM_TAG_BPP_REPLACE_KEYS_LIST, TRUE, FALSE, ESIM_TAG_BPP_CONFIGURE_ISDP, TRUE },
	{ ESIM_TAG_BPP_PROFILE_ELEMENTS_LIST, FALSE, TRUE, ESIM_TAG_BPP_LOAD_PROFILE_ELEMENTS,
	  FALSE },
};

static gboolean
segment_bpp (GBytes *bpp, GPtrArray *segments, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv outer;
	EsimTlv member;
	gboolean have_member;
	guint next = 0;

	if (!parse_whole (bpp, ESIM_TAG_BOUND_PROFILE_PACKAGE, &outer, error))
		return FALSE;
	esim_tlv_iter_init (&iter, &outer);
	have_member = esim_tlv_iter_next (&iter, &member, &error_local);
	while (have_member) {
		/* skip the optional members this one is not */
		while (next < G_N_ELEMENTS (bpp_members) && bpp_members[next].tag != member.tag &&
		       bpp_members[next].optional)
			next++;
		if (next >= G_N_ELEMENTS (bpp_members)) {
			g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
				     "unexpected member %X after the last one", member.tag);
			return FALSE;
		}
		if (bpp_members[next].tag != member.tag) {
			g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
				     "unexpected member %X where %X belongs", member.tag,
				     bpp_members[next].tag);
			return FALSE;
		}
		if (bpp_members[next].item_tag == 0) {
			/* BF36 tag and length, then the whole BF23 (the first
			 * member, so it follows the header): one command */
			if (!add_segment (segments, bpp, outer.raw,
					  (gsize) (member.raw + member.raw_len - outer.raw), error))
				return FALSE;
		} else if (!add_list (segments, bpp, &member, bpp_members[next].item_tag,
				      bpp_members[next].item_by_item, bpp_members[next].may_be_empty,
				      error)) {
			return FALSE;
		}
		next++;
		have_member = esim_tlv_iter_next (&iter, &member, &error_local);
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return FALSE;
	}
	for (; next < G_N_ELEMENTS (bpp_members); next++) {
		if (!bpp_members[next].optional) {
			g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING,
				     "member %X missing", bpp_members[next].tag);
			return FALSE;
		}
	}
	return TRUE;
}

GPtrArray *
esim_es10_segment_bound_profile_package (GBytes *bpp, GError **error)
{
	g_autoptr(GPtrArray) segments = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

	if (!segment_bpp (bpp, segments, error))
		return fail_null (error, "BoundProfilePackage");
	return g_steal_pointer (&segments);
}

guint
esim_es10_store_data_minimum (GPtrArray *segments)
{
	guint total = 0;

	g_return_val_if_fail (segments != NULL, 0);

	for (guint i = 0; i < segments->len; i++) {
		gsize len = g_bytes_get_size (g_ptr_array_index (segments, i));
		total += (guint) ((len + ESIM_STORE_DATA_MAX_SEGMENT - 1) / ESIM_STORE_DATA_MAX_SEGMENT);
	}
	return total;
}

/* ---- ProfileInstallationResult ---- */

void
esim_profile_installation_result_free (EsimProfileInstallationResult *r)
{
	if (r == NULL)
		return;
	g_free (r->transaction_id);
	g_free (r->meta.address);
	g_free (r->meta.iccid);
	g_free (r->smdp_oid);
	g_free (r->isdp_aid);
	g_clear_pointer (&r->sima_response, g_bytes_unref);
	g_clear_pointer (&r->raw, g_bytes_unref);
	g_free (r);
}

/* SuccessResult { 4F aid, 04 simaResponse } (aid is tagged: no automatic tags) */
static gboolean
parse_success_result (const EsimTlv *tlv, EsimProfileInstallationResult *r, GError **error)
{
	EsimTlv item;

	if (!find_required (tlv, ESIM_TAG_ISDP_AID, "aid", &item, error))
		return FALSE;
	if (item.constructed || item.len < ES10_AID_MIN || item.len > ES10_AID_MAX) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "aid must be %d to %d bytes", ES10_AID_MIN, ES10_AID_MAX);
		return FALSE;
	}
	r->isdp_aid = esim_hex_encode (item.value, item.len);
	if (!find_required (tlv, ESIM_TAG_PIR_SIMA_RESPONSE, "simaResponse", &item, error))
		return FALSE;
	r->sima_response = esim_tlv_dup_value (&item);
	r->success = TRUE;
	r->bpp_command_id = -1;
	return TRUE;
}

/* ErrorResult { 80 bppCommandId, 81 errorReason, 82 simaResponse OPTIONAL } (automatic) */
static gboolean
parse_error_result (const EsimTlv *tlv, EsimProfileInstallationResult *r, GError **error)
{
	EsimTlv item;
	gboolean found = FALSE;

	if (!find_required (tlv, ESIM_TAG_PIR_BPP_COMMAND_ID, "bppCommandId", &item, error) ||
	    !get_small_int (&item, &r->bpp_command_id, error) ||
	    !find_required (tlv, ESIM_TAG_PIR_ERROR_REASON, "errorReason", &item, error) ||
	    !get_small_int (&item, &r->error_reason, error) ||
	    !find_optional (tlv, ESIM_TAG_PIR_ERROR_SIMA_RESPONSE, &item, &found, error))
		return FALSE;
	if (found)
		r->sima_response = esim_tlv_dup_value (&item);
	r->success = FALSE;
	return TRUE;
}

static gboolean
parse_pir_data (const EsimTlv *data, EsimProfileInstallationResult *r, GError **error)
{
	EsimTlv tlv;
	EsimTlv result;

	if (!take_transaction_id (data, &r->transaction_id, error))
		return FALSE;
	if (!find_required (data, ESIM_TAG_NOTIFICATION_METADATA, "notificationMetadata", &tlv,
			    error) ||
	    !parse_notification_metadata (&tlv, &r->meta, error)) {
		g_prefix_error (error, "notificationMetadata: ");
		return FALSE;
	}
	if (!find_required (data, ESIM_TAG_OID, "smdpOid", &tlv, error) ||
	    (r->smdp_oid = dup_oid (&tlv, error)) == NULL)
		return FALSE;
	/* finalResult [2] CHOICE is explicit: A2 { A0 successResult | A1 errorResult } */
	if (!find_required (data, ESIM_TAG_PIR_FINAL_RESULT, "finalResult", &tlv, error) ||
	    !parse_choice (&tlv, &result, error))
		return FALSE;
	if (result.tag == ESIM_TAG_PIR_SUCCESS_RESULT)
		return parse_success_result (&result, r, error);
	if (result.tag == ESIM_TAG_PIR_ERROR_RESULT)
		return parse_error_result (&result, r, error);
	g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
		     "unexpected finalResult %X", result.tag);
	return FALSE;
}

EsimProfileInstallationResult *
esim_es10_parse_profile_installation_result (GBytes *response, GError **error)
{
	g_autoptr(EsimProfileInstallationResult) r = g_new0 (EsimProfileInstallationResult, 1);
	EsimTlv outer;
	EsimTlv data;
	EsimTlv tlv;

	if (!parse_whole (response, ESIM_TAG_PROFILE_INSTALLATION_RESULT, &outer, error) ||
	    !find_required (&outer, ESIM_TAG_PROFILE_INSTALLATION_RESULT_DATA,
			    "profileInstallationResultData", &data, error) ||
	    !parse_pir_data (&data, r, error) ||
	    !find_required (&outer, ESIM_TAG_SIGNATURE, "euiccSignPIR", &tlv, error))
		return fail_null (error, "ProfileInstallationResult");
	r->raw = esim_tlv_dup_raw (&outer);
	return g_steal_pointer (&r);
}

gboolean
esim_profile_installation_result_check (const EsimProfileInstallationResult *result,
					GError **error)
{
	const DownloadResultName *name;

	g_return_val_if_fail (result != NULL, FALSE);

	if (result->success)
		return TRUE;
	name = find_result_name (install_errors, result->error_reason);
	g_set_error (error, ESIM_ES10_ERROR,
		     name != NULL ? name->error : ESIM_ES10_ERROR_INSTALL_FAILED,
		     "LoadBoundProfilePackage: %s (%d) in %s (%d)",
		     name != NULL ? name->name : "unknown error reason", result->error_reason,
		     esim_bpp_command_id_to_string (result->bpp_command_id),
		     result->bpp_command_id);
	return FALSE;
}

/* ---- CancelSession ---- */

void
esim_cancel_session_ok_free (EsimCancelSessionOk *ok)
{
	if (ok == NULL)
		return;
	g_free (ok->transaction_id);
	g_free (ok->smdp_oid);
	g_clear_pointer (&ok->raw, g_bytes_unref);
	g_free (ok);
}

GBytes *
esim_es10_encode_cancel_session (const gchar *transaction_id, EsimCancelSessionReason reason,
				 GError **error)
{
	g_autoptr(EsimDerWriter) writer = NULL;
	g_autoptr(GBytes) transaction = decode_transaction_id (transaction_id, error);

	if (transaction == NULL)
		return fail_null (error, "CancelSession");
	if (g_strcmp0 (esim_cancel_session_reason_to_string (reason), "unknown") == 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			     "unknown reason %d", (gint) reason);
		return fail_null (error, "CancelSession");
	}
	/* no member is tagged: automatic tags 80, 81 (AOSP EuiccPort.cancelSession) */
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, ESIM_TAG_CANCEL_SESSION);
	esim_der_writer_put_bytes (writer, ESIM_TAG_CANCEL_TRANSACTION_ID, transaction);
	esim_der_writer_put_uint (writer, ESIM_TAG_CANCEL_REASON, (guint64) reason);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

EsimCancelSessionOk *
esim_es10_parse_cancel_session (GBytes *response, GError **error)
{
	g_autoptr(EsimCancelSessionOk) result = g_new0 (EsimCancelSessionOk, 1);
	EsimTlv outer;
	EsimTlv choice;
	EsimTlv signed_data;
	EsimTlv tlv;
	gint64 code = 0;

	if (!parse_whole (response, ESIM_TAG_CANCEL_SESSION, &outer, error) ||
	    !parse_choice (&outer, &choice, error))
		return fail_null (error, "CancelSession");
	if (choice.tag == ESIM_TAG_CANCEL_SESSION_ERROR) {
		if (esim_tlv_get_int (&choice, &code, error))
			set_code_error (error, cancel_session_errors, code, NULL);
		return fail_null (error, "CancelSession");
	}
	if (choice.tag != ESIM_TAG_RESPONSE_OK) {
		unexpected_choice (&choice, error);
		return fail_null (error, "CancelSession");
	}
	/* CancelSessionResponseOk { 30 euiccCancelSessionSigned, 5F37 } and the
	 * signed part has no tagged member: 80 transactionId, 81 smdpOid, 82 reason */
	if (!find_required (&choice, ESIM_TAG_SEQUENCE, "euiccCancelSessionSigned", &signed_data,
			    error) ||
	    !find_required (&signed_data, ESIM_TAG_CANCEL_TRANSACTION_ID, "transactionId", &tlv,
			    error) ||
	    (result->transaction_id = dup_transaction_id (&tlv, error)) == NULL ||
	    !find_required (&signed_data, ESIM_TAG_CANCEL_SIGNED_SMDP_OID, "smdpOid", &tlv, error) ||
	    (result->smdp_oid = dup_oid (&tlv, error)) == NULL ||
	    !find_required (&signed_data, ESIM_TAG_CANCEL_SIGNED_REASON, "reason", &tlv, error) ||
	    !get_small_int (&tlv, &result->reason, error) ||
	    !find_required (&choice, ESIM_TAG_SIGNATURE, "euiccCancelSessionSignature", &tlv, error))
		return fail_null (error, "CancelSession");
	result->raw = esim_tlv_dup_raw (&outer);
	return g_steal_pointer (&result);
}
