/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LoadBoundProfilePackage on the card (SGP.22 v2.5 §5.7.6; the package's
 * structure §2.5.4, its protection §2.6.4 through libesim-crypto's EsimBsp).
 *
 * The package arrives as the STORE DATA sequences the LPA cuts it into
 * (SGP.22 §2.5.5, lpac es10b_load_bound_profile_package, AOSP
 * EuiccPort.loadBoundProfilePackage, digest §1.4), each an ES10 request of
 * its own that is no whole TLV:
 *   1. BF36 tag and length, then the whole BF23 InitialiseSecureChannel
 *   2. the whole A0 (ConfigureISDP in 87 segments)
 *   3. the A1 tag and length only, then each 88 (StoreMetadata, MAC only)
 *   4. the whole A2 if present (ReplaceSessionKeys in 87 segments)
 *   5. the A3 tag and length only, then each 86 (profile elements)
 * The card knows where it stands from the lengths of BF36, A1 and A3, as a
 * real card does.  Every segment but the last is answered with no data; the
 * last with the signed ProfileInstallationResult, and so is the first one
 * that fails, early (SGP.22 §5.7.6: the eUICC stops at the first error).
 *
 * Nothing is installed before the last profile element is verified and the
 * profile checked: the profile, with its installation result as the pending
 * install notification, is saved in one write.  A failure at any point
 * leaves only the (signed, error) installation result, which a real card
 * keeps too (shared/reference/vectors.md V14: a real card's failed install,
 * storeMetadata / installFailedDueToIccidAlreadyExistsOnEuicc, in its
 * notification list, with the ICCID of the metadata and the SM-DP+'s
 * address as notificationAddress).
 */

#define G_LOG_DOMAIN "esim-veuicc"

#include <string.h>

#include "esim-bpp.h"
#include "esim-bsp.h"
#include "esim-crypto.h"
#include "esim-util.h"
#include "esim-veuicc-private.h"

/* ErrorReason values beyond the ones libesim-crypto maps (RSPDefinitions) */
enum {
	REASON_ICCID_ALREADY_EXISTS = 9,
	REASON_INSUFFICIENT_MEMORY = 10,
	REASON_INTERRUPTION = 11,
	REASON_PE_PROCESSING_ERROR = 12,
	REASON_DATA_MISMATCH = 13,
	REASON_PPR_NOT_ALLOWED = 15,
};

typedef enum {
	STAGE_CONFIGURE_ISDP,      /* the whole A0 next */
	STAGE_METADATA_HEADER,     /* the A1 header next */
	STAGE_METADATA,            /* 88 segments until A1's length is used up */
	STAGE_REPLACE_OR_PROFILE,  /* the whole A2, or the A3 header */
	STAGE_PROFILE_HEADER,      /* after A2: the A3 header */
	STAGE_PROFILE,             /* 86 segments until A3's length is used up */
} BppStage;

struct _VeuiccBppLoad {
	BppStage        stage;
	EsimBsp        *bsp;
	GBytes         *transaction_id;
	gchar          *server_address;
	gchar          *smdp_oid;
	gsize           bpp_left;   /* bytes of BF36's value not yet received */
	gsize           seq_left;   /* bytes of the current A1 or A3 value not yet received */
	GByteArray     *metadata_raw;
	VeuiccMetadata *metadata;
	GByteArray     *profile;
};

void
veuicc_bpp_load_free (VeuiccBppLoad *load)
{
	if (load == NULL)
		return;
	g_clear_pointer (&load->bsp, esim_bsp_free);
	g_clear_pointer (&load->transaction_id, g_bytes_unref);
	g_free (load->server_address);
	g_free (load->smdp_oid);
	if (load->metadata_raw != NULL)
		g_byte_array_unref (load->metadata_raw);
	veuicc_metadata_free (load->metadata);
	if (load->profile != NULL) {
		/* the decrypted profile holds the subscriber's keys */
		memset (load->profile->data, 0, load->profile->len);
		g_byte_array_unref (load->profile);
	}
	g_free (load);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VeuiccBppLoad, veuicc_bpp_load_free)

void
veuicc_bpp_abandon (EsimVeuicc *self)
{
	g_clear_pointer (&self->bpp_load, veuicc_bpp_load_free);
}

/* ---- StoreMetadataRequest ----------------------------------------------------------------- */

void
veuicc_metadata_free (VeuiccMetadata *meta)
{
	if (meta == NULL)
		return;
	g_free (meta->iccid);
	g_free (meta->name);
	g_free (meta->provider);
	for (guint i = 0; i < VEUICC_N_EVENTS; i++)
		g_free (meta->event_address[i]);
	g_free (meta);
}

static gboolean
metadata_fail (GError **error, guint *reason, guint code, const gchar *what)
{
	if (reason != NULL)
		*reason = code;
	g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "StoreMetadata: %s", what);
	return FALSE;
}

static gchar *
dup_utf8 (const EsimTlv *tlv, gsize max)
{
	if (tlv->len > max)
		return NULL;
	return esim_tlv_dup_utf8 (tlv, NULL);
}

/* notificationConfigurationInfo [22] SEQUENCE OF NotificationConfigurationInformation
 * { profileManagementOperation [0] NotificationEvent, notificationAddress [1] UTF8String } */
static gboolean
parse_notification_config (const EsimTlv *list, VeuiccMetadata *meta)
{
	g_autoptr(GError) error = NULL;
	EsimTlvIter iter;
	EsimTlv entry;

	if (!list->constructed)
		return FALSE;
	esim_tlv_iter_init (&iter, list);
	while (esim_tlv_iter_next (&iter, &entry, &error)) {
		EsimTlv operation, address;
		EsimTlvIter fields;
		guint32 events = 0;

		if (entry.tag != ESIM_TAG_SEQUENCE)
			return FALSE;
		esim_tlv_iter_init (&fields, &entry);
		if (!esim_tlv_iter_next (&fields, &operation, NULL) ||
		    operation.tag != ESIM_TAG_NOTIF_CONFIG_OPERATION ||
		    !esim_tlv_get_named_bits (&operation, VEUICC_N_EVENTS, &events, NULL) ||
		    !esim_tlv_iter_next (&fields, &address, NULL) ||
		    address.tag != ESIM_TAG_NOTIF_CONFIG_ADDRESS || address.len == 0 ||
		    esim_tlv_iter_next (&fields, &operation, NULL) || fields.pos != fields.end)
			return FALSE;
		for (guint i = 0; i < VEUICC_N_EVENTS; i++) {
			if ((events & (1u << i)) == 0 || meta->event_address[i] != NULL)
				continue;
			meta->event_address[i] = dup_utf8 (&address, 255);
			if (meta->event_address[i] == NULL)
				return FALSE;
		}
	}
	return error == NULL;
}

/* One optional member after the mandatory ones; FALSE when it is not valid. */
static gboolean
metadata_member (const EsimTlv *child, VeuiccMetadata *meta, gboolean *has_icon_type, guint *reason)
{
	guint64 value = 0;

	switch (child->tag) {
	case ESIM_TAG_META_ICON_TYPE:
		*has_icon_type = TRUE;
		return esim_tlv_get_uint (child, &value, NULL) && value <= 1;
	case ESIM_TAG_META_ICON:
		return *has_icon_type && child->len <= 1024;
	case ESIM_TAG_META_PROFILE_CLASS:
		if (!esim_tlv_get_uint (child, &value, NULL))
			return FALSE;
		if (value > VEUICC_CLASS_OPERATIONAL) {
			*reason = ESIM_BPP_REASON_UNSUPPORTED_PROFILE_CLASS;
			return FALSE;
		}
		meta->klass = (VeuiccProfileClass) value;
		return TRUE;
	case ESIM_TAG_META_NOTIFICATION_CONFIG:
		return parse_notification_config (child, meta);
	case ESIM_TAG_META_PPR:
		return esim_tlv_get_named_bits (child, 32, &meta->ppr_ids, NULL);
	case ESIM_TAG_META_PROFILE_OWNER:
	case ESIM_TAG_META_SERVICE_DATA_STORED:
	case ESIM_TAG_META_SERVICE_DATA_NOT_STORED:
		return child->constructed;
	default:
		return FALSE;
	}
}

/* StoreMetadataRequest ::= [37] SEQUENCE { iccid 5A, serviceProviderName 91,
 *   profileName 92, iconType 93 OPT, icon 94 OPT, profileClass 95 DEFAULT operational,
 *   notificationConfigurationInfo B6 OPT, profileOwner B7 OPT, profilePolicyRules 99 OPT,
 *   serviceSpecificDataStoredInEuicc BF22 OPT, serviceSpecificDataNotStoredInEuicc BF23 OPT } */
VeuiccMetadata *
veuicc_metadata_parse (const guint8 *data, gsize len, guint *reason, GError **error)
{
	static const EsimTag order[] = {
		ESIM_TAG_META_ICON_TYPE, ESIM_TAG_META_ICON, ESIM_TAG_META_PROFILE_CLASS,
		ESIM_TAG_META_NOTIFICATION_CONFIG, ESIM_TAG_META_PROFILE_OWNER, ESIM_TAG_META_PPR,
		ESIM_TAG_META_SERVICE_DATA_STORED, ESIM_TAG_META_SERVICE_DATA_NOT_STORED,
	};
	g_autoptr(VeuiccMetadata) meta = g_new0 (VeuiccMetadata, 1);
	g_autoptr(GError) error_local = NULL;
	gboolean has_icon_type = FALSE;
	guint next = 0, code = ESIM_BPP_REASON_INCORRECT_INPUT_VALUES;
	EsimTlv top, iccid, provider, name, child;
	EsimTlvIter iter;

	meta->klass = VEUICC_CLASS_OPERATIONAL;
	if (!esim_tlv_parse_tagged (data, len, ESIM_TAG_PROFILE_METADATA, &top, NULL) || !top.constructed)
		return metadata_fail (error, reason, code, "not one BF25 element"), NULL;
	esim_tlv_iter_init (&iter, &top);
	if (!esim_tlv_iter_next (&iter, &iccid, NULL) || iccid.tag != ESIM_TAG_ICCID ||
	    iccid.len != ESIM_ICCID_LENGTH ||
	    (meta->iccid = esim_iccid_from_bcd (iccid.value, iccid.len, NULL)) == NULL ||
	    !esim_iccid_is_valid (meta->iccid))
		return metadata_fail (error, reason, code, "no valid iccid"), NULL;
	if (!esim_tlv_iter_next (&iter, &provider, NULL) ||
	    provider.tag != ESIM_TAG_META_SERVICE_PROVIDER ||
	    (meta->provider = dup_utf8 (&provider, 32)) == NULL ||
	    !esim_tlv_iter_next (&iter, &name, NULL) || name.tag != ESIM_TAG_META_PROFILE_NAME ||
	    (meta->name = dup_utf8 (&name, 64)) == NULL)
		return metadata_fail (error, reason, code, "serviceProviderName or profileName missing or invalid"),
		       NULL;
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		guint idx = next;

		/* each at most once, in definition order */
		while (idx < G_N_ELEMENTS (order) && order[idx] != child.tag)
			idx++;
		if (idx == G_N_ELEMENTS (order))
			return metadata_fail (error, reason, code, "unexpected or misplaced member"), NULL;
		next = idx + 1;
		if (!metadata_member (&child, meta, &has_icon_type, &code))
			return metadata_fail (error, reason, code, "invalid member"), NULL;
	}
	if (error_local != NULL)
		return metadata_fail (error, reason, code, error_local->message), NULL;
	return g_steal_pointer (&meta);
}

/* ---- the profile elements ----------------------------------------------------------------- */

/* ProfileHeader.iccid: the digits in order, F-padded (pySim saip personalization
 * writes h2b(rpad(iccid, 20)) there; EF.ICCID and the metadata swap nibbles). */
static gchar *
header_iccid (const guint8 *value, gsize len)
{
	g_autofree gchar *hex = esim_hex_encode (value, len);
	gsize n = strlen (hex);

	while (n > 0 && hex[n - 1] == 'F')
		hex[--n] = '\0';
	if (!esim_iccid_is_valid (hex))
		return NULL;
	return g_steal_pointer (&hex);
}

gchar *
veuicc_profile_elements_iccid (const guint8 *data, gsize len, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *iccid = NULL;
	EsimTlvIter iter;
	EsimTlv pe, last = { 0 };
	guint n = 0;

	esim_tlv_iter_init_buf (&iter, data, len);
	while (esim_tlv_iter_next (&iter, &pe, &error_local)) {
		if (n++ == 0) {
			EsimTlv field;

			/* ProfileHeader first (PEDefinitions: "header" is the first PE) */
			if (pe.tag != ESIM_TAG_PE_HEADER || !pe.constructed ||
			    !esim_tlv_find (&pe, ESIM_TAG_PE_HEADER_ICCID, &field, NULL) ||
			    field.len != ESIM_ICCID_LENGTH ||
			    (iccid = header_iccid (field.value, field.len)) == NULL) {
				g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				                     "the profile does not start with a ProfileHeader with an ICCID");
				return NULL;
			}
		}
		last = pe;
	}
	if (error_local != NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "profile elements: %s",
		             error_local->message);
		return NULL;
	}
	if (n < 2 || last.tag != ESIM_TAG_PE_END) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		                     "the profile does not end with PE-End");
		return NULL;
	}
	return g_steal_pointer (&iccid);
}

/* ---- the installation result -------------------------------------------------------------- */

static GBytes *
fail_sw (guint16 code, guint16 *sw)
{
	*sw = code;
	return NULL;
}

/* EUICCResponse ::= SEQUENCE { peStatus [0] SEQUENCE OF PEStatus, … } with one PEStatus
 * { status [0] ok } (PEDefinitions, automatic): what SuccessResult.simaResponse holds. */
static void
put_sima_ok (EsimDerWriter *writer)
{
	esim_der_writer_begin (writer, ESIM_TAG_OCTET_STRING);
	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_begin (writer, ESIM_TAG_EUICC_RESPONSE_PE_STATUS);
	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_put_uint (writer, ESIM_TAG_PE_STATUS_STATUS, 0);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
}

/* ProfileInstallationResultData ::= [39] SEQUENCE { transactionId [0], notificationMetadata
 *   [47], smdpOid OBJECT IDENTIFIER, finalResult [2] CHOICE { successResult SuccessResult,
 *   errorResult ErrorResult } }.  transactionId and notificationMetadata are tagged, so
 * smdpOid keeps its universal 06; finalResult is an explicit [2] around the CHOICE, whose
 * alternatives get [0] and [1]; SuccessResult { aid [APPLICATION 15], simaResponse
 * OCTET STRING } keeps 4F and 04; ErrorResult has no tags: 80 bppCommandId, 81
 * errorReason.  Byte for byte the real card's V14 (vectors.md). */
static GBytes *
result_data (VeuiccBppLoad *load, GBytes *metadata, GBytes *oid, const guint8 *aid, guint command,
             guint reason)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, ESIM_TAG_PROFILE_INSTALLATION_RESULT_DATA);
	esim_der_writer_put_bytes (writer, ESIM_TAG_TRANSACTION_ID, load->transaction_id);
	esim_der_writer_put_raw (writer, g_bytes_get_data (metadata, NULL), g_bytes_get_size (metadata));
	esim_der_writer_put_bytes (writer, ESIM_TAG_OID, oid);
	esim_der_writer_begin (writer, ESIM_TAG_PIR_FINAL_RESULT);
	if (aid != NULL) {
		esim_der_writer_begin (writer, ESIM_TAG_PIR_SUCCESS_RESULT);
		esim_der_writer_put (writer, ESIM_TAG_ISDP_AID, aid, 16);
		put_sima_ok (writer);
	} else {
		esim_der_writer_begin (writer, ESIM_TAG_PIR_ERROR_RESULT);
		esim_der_writer_put_uint (writer, ESIM_TAG_PIR_BPP_COMMAND_ID, command);
		esim_der_writer_put_uint (writer, ESIM_TAG_PIR_ERROR_REASON, reason);
	}
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* The pending install notification for this package: its metadata, unsigned yet. */
static VeuiccNotification *
install_notification (EsimVeuicc *self, VeuiccBppLoad *load)
{
	VeuiccNotification *notification = g_new0 (VeuiccNotification, 1);
	VeuiccMetadata *meta = load->metadata;

	notification->seq = self->next_seq;
	notification->event = VEUICC_EVENT_INSTALL;
	notification->iccid = meta != NULL ? g_strdup (meta->iccid) : NULL;
	/* where the metadata sends installs; else the SM-DP+ of the session (as V14) */
	notification->address = g_strdup (meta != NULL && meta->event_address[VEUICC_EVENT_INSTALL] != NULL ?
	                                  meta->event_address[VEUICC_EVENT_INSTALL] :
	                                  load->server_address);
	return notification;
}

/* ProfileInstallationResult ::= [55] SEQUENCE { profileInstallationResultData [39],
 *   euiccSignPIR [APPLICATION 55] } with the signature over the BF27 TLV (pySim
 *   osmo-smdpp.py handleNotification verifies euiccSignPIR over the encoded
 *   ProfileInstallationResultData). */
static GBytes *
sign_result (EsimVeuicc *self, VeuiccBppLoad *load, VeuiccNotification *notification,
             const guint8 *aid, guint command, guint reason, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) metadata = veuicc_notification_metadata (notification);
	g_autoptr(GBytes) oid = veuicc_oid_encode (load->smdp_oid);
	g_autoptr(GBytes) data = NULL;

	if (oid == NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "SM-DP+ OID %s is no OID",
		             load->smdp_oid);
		return NULL;
	}
	data = result_data (load, metadata, oid, aid, command, reason);
	if (!veuicc_crypto_sign (self->crypto, g_bytes_get_data (data, NULL), g_bytes_get_size (data),
	                         notification->signature, error))
		return NULL;
	esim_der_writer_begin (writer, ESIM_TAG_PROFILE_INSTALLATION_RESULT);
	esim_der_writer_put_raw (writer, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
	esim_der_writer_put (writer, ESIM_TAG_SIGNATURE, notification->signature, ESIM_SIGNATURE_LENGTH);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* Ends the load and the session with the result: stored as the pending install
 * notification and saved with whatever the install changed (one write), then answered. */
static GBytes *
finish (EsimVeuicc *self, VeuiccProfile *installed, guint command, guint reason, guint16 *sw)
{
	g_autoptr(VeuiccBppLoad) load = g_steal_pointer (&self->bpp_load);
	g_autoptr(VeuiccNotification) notification = install_notification (self, load);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) pir = NULL;

	pir = sign_result (self, load, notification, installed != NULL ? installed->aid : NULL, command,
	                   reason, &error);
	if (installed != NULL)
		veuicc_download_installed (self);
	veuicc_download_end_session (self);
	if (pir == NULL) {
		g_warning ("LoadBoundProfilePackage: no installation result: %s", error->message);
		if (installed != NULL)
			g_ptr_array_remove (self->profiles, installed);
		return fail_sw (ESIM_SW_TECHNICAL_PROBLEM, sw);
	}
	notification->pir = g_bytes_ref (pir);
	veuicc_queue_installation_result (self, g_steal_pointer (&notification));
	if (!veuicc_es10_commit (self, sw))
		return NULL;
	*sw = ESIM_SW_OK;
	return g_steal_pointer (&pir);
}

/* BppCommandId names (RSPDefinitions), for the log */
static const gchar *
command_name (guint command)
{
	static const gchar *const names[] = {
		"initialiseSecureChannel", "configureISDP", "storeMetadata", "storeMetadata2",
		"replaceSessionKeys", "loadProfileElements",
	};
	return command < G_N_ELEMENTS (names) ? names[command] : "unknown";
}

static GBytes *
refuse (EsimVeuicc *self, guint command, guint reason, const gchar *why, guint16 *sw)
{
	g_message ("LoadBoundProfilePackage: %s refused (errorReason %u): %s", command_name (command),
	           reason, why);
	return finish (self, NULL, command, reason, sw);
}

/* ---- the segments ------------------------------------------------------------------------- */

/* Tag and length at the start of @data (the value may not follow: a header segment). */
static gboolean
parse_header (const guint8 *data, gsize len, EsimTag *tag, gsize *value_len, gsize *header_len)
{
	gsize pos = 0, n_len;

	if (len < 2)
		return FALSE;
	*tag = data[pos++];
	if ((*tag & 0x1F) == 0x1F) {
		do {
			if (pos >= len || pos == 3)
				return FALSE;
			*tag = (*tag << 8) | data[pos];
		} while (data[pos++] & 0x80);
	}
	if (pos >= len)
		return FALSE;
	if (data[pos] < 0x80) {
		*value_len = data[pos++];
	} else {
		n_len = data[pos++] & 0x7F;
		if (n_len == 0 || n_len > 3 || pos + n_len > len)
			return FALSE;
		*value_len = 0;
		while (n_len-- > 0)
			*value_len = (*value_len << 8) | data[pos++];
	}
	*header_len = pos;
	return TRUE;
}

gboolean
veuicc_bpp_is_segment (EsimVeuicc *self, const guint8 *data, gsize len)
{
	EsimTag tag = 0;
	gsize value_len, header_len;

	if (!parse_header (data, len, &tag, &value_len, &header_len))
		return FALSE;
	if (tag == ESIM_TAG_BOUND_PROFILE_PACKAGE)
		return TRUE;
	return self->bpp_load != NULL &&
	       (tag == ESIM_TAG_BPP_CONFIGURE_ISDP_LIST || tag == ESIM_TAG_BPP_STORE_METADATA_LIST ||
	        tag == ESIM_TAG_BPP_REPLACE_KEYS_LIST || tag == ESIM_TAG_BPP_PROFILE_ELEMENTS_LIST ||
	        tag == ESIM_TAG_BPP_LOAD_PROFILE_ELEMENTS || tag == ESIM_TAG_BPP_STORE_METADATA);
}

/* The command a failure at the current stage is reported against. */
static guint
stage_command (BppStage stage)
{
	switch (stage) {
	case STAGE_CONFIGURE_ISDP:
		return ESIM_BPP_COMMAND_CONFIGURE_ISDP;
	case STAGE_METADATA_HEADER:
	case STAGE_METADATA:
		return ESIM_BPP_COMMAND_STORE_METADATA;
	case STAGE_REPLACE_OR_PROFILE:
	case STAGE_PROFILE_HEADER:
	case STAGE_PROFILE:
	default:
		return ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS;
	}
}

/* InitialiseSecureChannelRequest: the checks of §5.7.6 and the session keys
 * (§2.6.4.2: ECKA with otSK.EUICC.ECKA and otPK.DP.ECKA, then the KDF). */
static guint
secure_channel (EsimVeuicc *self, const VeuiccPrepared *prepared, const guint8 *data, gsize len,
                EsimBspKeys *keys, GError **error)
{
	g_autoptr(EsimInitSecureChannel) iscr = esim_init_secure_channel_parse (data, len, error);
	g_autoptr(GBytes) signed_data = NULL;
	guint8 secret[ESIM_ECKA_SECRET_LEN];
	guint8 eid[ESIM_EID_LENGTH];
	gboolean ok;

	if (iscr == NULL)
		return ESIM_BPP_REASON_INCORRECT_INPUT_VALUES;
	if (iscr->remote_op_id != ESIM_BPP_REMOTE_OP_INSTALL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "remoteOpId %u", iscr->remote_op_id);
		return ESIM_BPP_REASON_UNSUPPORTED_REMOTE_OPERATION_TYPE;
	}
	if (!g_bytes_equal (iscr->transaction_id, prepared->transaction_id)) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		                     "transaction ID is not this session's");
		return ESIM_BPP_REASON_INVALID_TRANSACTION_ID;
	}
	/* smdpSign covers the request and this card's own otPK: bound to this session */
	signed_data = esim_init_secure_channel_signed_data (iscr, esim_ecka_key_get_public (prepared->ot_key));
	if (!esim_cert_verify_signature (prepared->dp_pb, g_bytes_get_data (signed_data, NULL),
	                                 g_bytes_get_size (signed_data), iscr->smdp_signature,
	                                 ESIM_ECDSA_RAW_LEN, error))
		return ESIM_BPP_REASON_INVALID_SIGNATURE;
	if (!esim_eid_to_bytes (self->eid, eid, error) ||
	    !esim_ecka_shared_secret (prepared->ot_key, iscr->smdp_otpk, ESIM_P256_POINT_LEN, secret, error))
		return ESIM_BPP_REASON_INCORRECT_INPUT_VALUES;
	ok = esim_bsp_derive_keys (secret, sizeof (secret), iscr->key_type, iscr->key_length,
	                           g_bytes_get_data (iscr->host_id, NULL), g_bytes_get_size (iscr->host_id),
	                           eid, keys, error);
	memset (secret, 0, sizeof (secret));
	return ok ? 0 : esim_bpp_error_reason (*error);
}

/* Segment 1: BF36 tag and length, then the whole BF23. */
static GBytes *
begin (EsimVeuicc *self, const guint8 *data, gsize len, gsize header_len, gsize value_len, guint16 *sw)
{
	g_autoptr(GError) error = NULL;
	VeuiccPrepared prepared;
	VeuiccBppLoad *load;
	EsimBspKeys keys;
	EsimTlv iscr;
	guint reason;

	/* a new package while one is loading: the first is over, nothing of it stays */
	if (self->bpp_load != NULL)
		return refuse (self, stage_command (self->bpp_load->stage), REASON_INTERRUPTION,
		               "a new package started", sw);
	if (!veuicc_download_get_prepared (self, &prepared)) {
		g_message ("LoadBoundProfilePackage: refused, no session prepared (PrepareDownload)");
		return fail_sw (ESIM_SW_CONDITIONS_NOT_SATISFIED, sw);
	}
	load = g_new0 (VeuiccBppLoad, 1);
	load->transaction_id = g_bytes_ref (prepared.transaction_id);
	load->server_address = g_strdup (prepared.server_address);
	load->smdp_oid = g_strdup (prepared.smdp_oid);
	self->bpp_load = load;
	if (!esim_tlv_parse_tagged (data + header_len, len - header_len, ESIM_TAG_INITIALISE_SECURE_CHANNEL,
	                            &iscr, NULL) ||
	    iscr.raw_len > value_len)
		return refuse (self, ESIM_BPP_COMMAND_INITIALISE_SECURE_CHANNEL,
		               ESIM_BPP_REASON_INCORRECT_INPUT_VALUES,
		               "the first segment is not BF36's header and one BF23", sw);
	reason = secure_channel (self, &prepared, iscr.raw, iscr.raw_len, &keys, &error);
	if (reason != 0)
		return refuse (self, ESIM_BPP_COMMAND_INITIALISE_SECURE_CHANNEL, reason, error->message, sw);
	load->bsp = esim_bsp_new (&keys);
	memset (&keys, 0, sizeof (keys));
	load->bpp_left = value_len - iscr.raw_len;
	load->stage = STAGE_CONFIGURE_ISDP;
	*sw = ESIM_SW_OK;
	return NULL;
}

void
veuicc_bpp_begin_unverified (EsimVeuicc *self, const EsimBspKeys *keys, gsize bpp_left)
{
	static const guint8 transaction_id[] = { 0x01 };
	VeuiccBppLoad *load = g_new0 (VeuiccBppLoad, 1);

	veuicc_bpp_abandon (self);
	load->transaction_id = g_bytes_new_static (transaction_id, sizeof (transaction_id));
	load->server_address = g_strdup ("smdp.test");
	load->smdp_oid = g_strdup ("2.999.10");
	load->bsp = esim_bsp_new (keys);
	load->bpp_left = bpp_left;
	load->stage = STAGE_CONFIGURE_ISDP;
	self->bpp_load = load;
}

/* Unwraps each element of a whole sequence TLV (87s of A0 or A2) and joins them. */
static GBytes *
unwrap_sequence (VeuiccBppLoad *load, const EsimTlv *seq, guint8 element_tag, GError **error)
{
	g_autoptr(GByteArray) out = g_byte_array_new ();
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv element;

	esim_tlv_iter_init (&iter, seq);
	while (esim_tlv_iter_next (&iter, &element, &error_local)) {
		g_autoptr(GBytes) plain = NULL;

		if (element.tag != element_tag) {
			g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
			             "element %X in sequence %X", element.tag, seq->tag);
			return NULL;
		}
		plain = esim_bsp_unwrap (load->bsp, element_tag, TRUE, element.raw, element.raw_len, error);
		if (plain == NULL)
			return NULL;
		g_byte_array_append (out, g_bytes_get_data (plain, NULL), (guint) g_bytes_get_size (plain));
	}
	if (error_local != NULL || out->len == 0) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT, "sequence %X %s",
		             seq->tag, error_local != NULL ? error_local->message : "is empty");
		return NULL;
	}
	return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* ConfigureISDPRequest ::= [36] SEQUENCE { dpProprietaryData [24] OPTIONAL } */
static GBytes *
configure_isdp (EsimVeuicc *self, const EsimTlv *a0, guint16 *sw)
{
	VeuiccBppLoad *load = self->bpp_load;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) plain = unwrap_sequence (load, a0, ESIM_TAG_BPP_CONFIGURE_ISDP, &error);
	EsimTlv request, child;

	if (plain == NULL)
		return refuse (self, ESIM_BPP_COMMAND_CONFIGURE_ISDP, esim_bpp_error_reason (error),
		               error->message, sw);
	if (!esim_tlv_parse_tagged (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain),
	                            ESIM_TAG_CONFIGURE_ISDP, &request, NULL) ||
	    (request.len > 0 &&
	     (!esim_tlv_parse_tagged (request.value, request.len, ESIM_TAG_DP_PROPRIETARY_DATA, &child, NULL) ||
	      !child.constructed)))
		return refuse (self, ESIM_BPP_COMMAND_CONFIGURE_ISDP, ESIM_BPP_REASON_INCORRECT_INPUT_VALUES,
		               "not a ConfigureISDPRequest", sw);
	load->stage = STAGE_METADATA_HEADER;
	*sw = ESIM_SW_OK;
	return NULL;
}

/* The whole StoreMetadataRequest arrived: the card's checks before any install. */
static GBytes *
metadata_complete (EsimVeuicc *self, guint16 *sw)
{
	VeuiccBppLoad *load = self->bpp_load;
	g_autoptr(GError) error = NULL;
	guint8 bcd[ESIM_ICCID_LENGTH];
	guint reason = 0;

	load->metadata = veuicc_metadata_parse (load->metadata_raw->data, load->metadata_raw->len, &reason,
	                                        &error);
	if (load->metadata == NULL)
		return refuse (self, ESIM_BPP_COMMAND_STORE_METADATA, reason, error->message, sw);
	if (esim_iccid_to_bcd (load->metadata->iccid, bcd, NULL) &&
	    veuicc_find_profile_by_iccid_bcd (self, bcd, sizeof (bcd)) != NULL)
		return refuse (self, ESIM_BPP_COMMAND_STORE_METADATA, REASON_ICCID_ALREADY_EXISTS,
		               "a profile with this ICCID is installed", sw);
	if (self->profiles->len >= self->max_profiles)
		return refuse (self, ESIM_BPP_COMMAND_STORE_METADATA, REASON_INSUFFICIENT_MEMORY,
		               "no room for another profile", sw);
	if ((load->metadata->ppr_ids & VEUICC_FORBIDDEN_PPRS) != 0)
		return refuse (self, ESIM_BPP_COMMAND_STORE_METADATA, REASON_PPR_NOT_ALLOWED,
		               "the profile carries a policy rule this card forbids", sw);
	load->stage = STAGE_REPLACE_OR_PROFILE;
	*sw = ESIM_SW_OK;
	return NULL;
}

/* One 88 of A1 (MAC only). */
static GBytes *
store_metadata (EsimVeuicc *self, const EsimTlv *segment, guint16 *sw)
{
	VeuiccBppLoad *load = self->bpp_load;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) plain = NULL;

	if (segment->raw_len > load->seq_left)
		return refuse (self, ESIM_BPP_COMMAND_STORE_METADATA, ESIM_BPP_REASON_SCP03T_STRUCTURE_ERROR,
		               "88 segment beyond the length of A1", sw);
	plain = esim_bsp_unwrap (load->bsp, ESIM_TAG_BPP_STORE_METADATA, FALSE, segment->raw, segment->raw_len,
	                         &error);
	if (plain == NULL)
		return refuse (self, ESIM_BPP_COMMAND_STORE_METADATA, esim_bpp_error_reason (error),
		               error->message, sw);
	if (load->metadata_raw == NULL)
		load->metadata_raw = g_byte_array_new ();
	g_byte_array_append (load->metadata_raw, g_bytes_get_data (plain, NULL), (guint) g_bytes_get_size (plain));
	load->seq_left -= segment->raw_len;
	if (load->seq_left > 0) {
		*sw = ESIM_SW_OK;
		return NULL;
	}
	return metadata_complete (self, sw);
}

/* A2: ReplaceSessionKeysRequest; the profile that follows was protected in advance. */
static GBytes *
replace_session_keys (EsimVeuicc *self, const EsimTlv *a2, guint16 *sw)
{
	VeuiccBppLoad *load = self->bpp_load;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) plain = unwrap_sequence (load, a2, ESIM_TAG_BPP_CONFIGURE_ISDP, &error);
	EsimBspKeys ppk;

	if (plain == NULL ||
	    !esim_bsp_parse_replace_session_keys (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain),
	                                          &ppk, &error))
		return refuse (self, ESIM_BPP_COMMAND_REPLACE_SESSION_KEYS, esim_bpp_error_reason (error),
		               error->message, sw);
	esim_bsp_replace_keys (load->bsp, &ppk);
	memset (&ppk, 0, sizeof (ppk));
	load->stage = STAGE_PROFILE_HEADER;
	*sw = ESIM_SW_OK;
	return NULL;
}

/* The last profile element verified: the profile is checked and installed. */
static GBytes *
install (EsimVeuicc *self, guint16 *sw)
{
	VeuiccBppLoad *load = self->bpp_load;
	VeuiccMetadata *meta = load->metadata;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *iccid = NULL;
	g_autofree gchar *masked = NULL;
	VeuiccProfile *profile;

	iccid = veuicc_profile_elements_iccid (load->profile->data, load->profile->len, &error);
	if (iccid == NULL)
		return refuse (self, ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS, REASON_PE_PROCESSING_ERROR,
		               error->message, sw);
	if (!g_str_equal (iccid, meta->iccid))
		return refuse (self, ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS, REASON_DATA_MISMATCH,
		               "the ICCID of the profile is not the ICCID of its metadata", sw);
	if (!veuicc_add_profile_full (self, meta->iccid, meta->name, meta->provider, meta->klass, FALSE, FALSE,
	                              &error))
		return refuse (self, ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS,
		               g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS) ?
		               REASON_ICCID_ALREADY_EXISTS : REASON_INSUFFICIENT_MEMORY, error->message, sw);
	profile = g_ptr_array_index (self->profiles, self->profiles->len - 1);
	/* its later enable, disable and delete are notified where the metadata says */
	for (guint i = 0; i < VEUICC_N_EVENTS; i++) {
		g_free (profile->event_address[i]);
		profile->event_address[i] = g_strdup (meta->event_address[i]);
	}
	masked = esim_log_personal (profile->iccid);
	g_message ("LoadBoundProfilePackage: profile %s installed", masked);
	return finish (self, profile, 0, 0, sw);
}

/* One 86 of A3. */
static GBytes *
load_profile_elements (EsimVeuicc *self, const EsimTlv *segment, guint16 *sw)
{
	VeuiccBppLoad *load = self->bpp_load;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) plain = NULL;

	if (segment->raw_len > load->seq_left)
		return refuse (self, ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS, ESIM_BPP_REASON_SCP03T_STRUCTURE_ERROR,
		               "86 segment beyond the length of A3", sw);
	plain = esim_bsp_unwrap (load->bsp, ESIM_TAG_BPP_LOAD_PROFILE_ELEMENTS, TRUE, segment->raw,
	                         segment->raw_len, &error);
	if (plain == NULL)
		return refuse (self, ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS, esim_bpp_error_reason (error),
		               error->message, sw);
	g_byte_array_append (load->profile, g_bytes_get_data (plain, NULL), (guint) g_bytes_get_size (plain));
	load->seq_left -= segment->raw_len;
	if (load->seq_left > 0) {
		*sw = ESIM_SW_OK;
		return NULL;
	}
	return install (self, sw);
}

/* A header-only segment (A1, A3): the sequence's length, none of its value. */
static GBytes *
open_sequence (EsimVeuicc *self, EsimTag tag, gsize len, gsize header_len, gsize value_len,
               guint16 *sw)
{
	VeuiccBppLoad *load = self->bpp_load;
	guint command = stage_command (load->stage);

	if (len != header_len || value_len == 0)
		return refuse (self, command, ESIM_BPP_REASON_SCP03T_STRUCTURE_ERROR,
		               "a sequence header segment that is not just a header", sw);
	if (tag == ESIM_TAG_BPP_PROFILE_ELEMENTS_LIST) {
		/* A3 is the last member: it holds the rest of the package */
		if (value_len != load->bpp_left)
			return refuse (self, command, ESIM_BPP_REASON_SCP03T_STRUCTURE_ERROR,
			               "A3 does not end the package", sw);
		if (value_len > VEUICC_MAX_PROFILE_SIZE)
			return refuse (self, command, REASON_INSUFFICIENT_MEMORY, "the profile is too large", sw);
		load->profile = g_byte_array_sized_new ((guint) value_len);
		load->stage = STAGE_PROFILE;
	} else {
		load->stage = STAGE_METADATA;
	}
	load->seq_left = value_len;
	*sw = ESIM_SW_OK;
	return NULL;
}

/* Which segment the stage takes: the whole TLV, a header, or an element. */
static gboolean
segment_fits (BppStage stage, EsimTag tag)
{
	switch (stage) {
	case STAGE_CONFIGURE_ISDP:
		return tag == ESIM_TAG_BPP_CONFIGURE_ISDP_LIST;
	case STAGE_METADATA_HEADER:
		return tag == ESIM_TAG_BPP_STORE_METADATA_LIST;
	case STAGE_METADATA:
		return tag == ESIM_TAG_BPP_STORE_METADATA;
	case STAGE_REPLACE_OR_PROFILE:
		return tag == ESIM_TAG_BPP_REPLACE_KEYS_LIST || tag == ESIM_TAG_BPP_PROFILE_ELEMENTS_LIST;
	case STAGE_PROFILE_HEADER:
		return tag == ESIM_TAG_BPP_PROFILE_ELEMENTS_LIST;
	case STAGE_PROFILE:
		return tag == ESIM_TAG_BPP_LOAD_PROFILE_ELEMENTS;
	default:
		return FALSE;
	}
}

GBytes *
veuicc_bpp_load_segment (EsimVeuicc *self, const guint8 *data, gsize len, guint16 *sw)
{
	VeuiccBppLoad *load;
	gsize value_len = 0, header_len = 0;
	EsimTag tag = 0;
	gboolean element;
	EsimTlv whole;

	if (!parse_header (data, len, &tag, &value_len, &header_len))
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	if (tag == ESIM_TAG_BOUND_PROFILE_PACKAGE)
		return begin (self, data, len, header_len, value_len, sw);
	load = self->bpp_load;
	if (load == NULL)
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	if (!segment_fits (load->stage, tag) || len > load->bpp_left)
		return refuse (self, stage_command (load->stage), ESIM_BPP_REASON_SCP03T_STRUCTURE_ERROR,
		               "segment out of order", sw);
	load->bpp_left -= len;
	if (tag == ESIM_TAG_BPP_STORE_METADATA_LIST ||
	    (tag == ESIM_TAG_BPP_PROFILE_ELEMENTS_LIST && load->stage != STAGE_PROFILE))
		return open_sequence (self, tag, len, header_len, value_len, sw);
	/* 86 and 88 are protected data (primitive), A0 and A2 sequences of them */
	element = tag == ESIM_TAG_BPP_LOAD_PROFILE_ELEMENTS || tag == ESIM_TAG_BPP_STORE_METADATA;
	if (!esim_tlv_parse_exact (data, len, &whole, NULL) || whole.constructed == element)
		return refuse (self, stage_command (load->stage), ESIM_BPP_REASON_SCP03T_STRUCTURE_ERROR,
		               "a segment that is not one whole element", sw);
	switch (tag) {
	case ESIM_TAG_BPP_CONFIGURE_ISDP_LIST:
		return configure_isdp (self, &whole, sw);
	case ESIM_TAG_BPP_STORE_METADATA:
		return store_metadata (self, &whole, sw);
	case ESIM_TAG_BPP_REPLACE_KEYS_LIST:
		return replace_session_keys (self, &whole, sw);
	case ESIM_TAG_BPP_LOAD_PROFILE_ELEMENTS:
	default:
		return load_profile_elements (self, &whole, sw);
	}
}
