/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bound profile package: InitialiseSecureChannel, structure, build, open.
 * The layout and signing rules are in esim-bpp.h with their sources.
 */

#define G_LOG_DOMAIN "esim-crypto"

#include <string.h>

#include "esim-bpp.h"
#include "esim-crypto.h"
#include "esim-der.h"

#define TAG_REMOTE_OP_ID     0x82
#define TAG_TRANSACTION_ID   0x80
#define TAG_CRT              0xA6
#define TAG_CRT_KEY_TYPE     0x80
#define TAG_CRT_KEY_LENGTH   0x81
#define TAG_CRT_HOST_ID      0x84
#define TAG_OTPK             0x5F49
#define TAG_SIGNATURE        0x5F37
#define MAX_TRANSACTION_ID   16

EsimBppReason
esim_bpp_error_reason (const GError *error)
{
	if (error == NULL || error->domain != ESIM_CRYPTO_ERROR)
		return ESIM_BPP_REASON_UNKNOWN_ERROR;
	switch ((EsimCryptoError) error->code) {
	case ESIM_CRYPTO_ERROR_BAD_MAC:
	case ESIM_CRYPTO_ERROR_BAD_PADDING:
		return ESIM_BPP_REASON_SCP03T_SECURITY_ERROR;
	case ESIM_CRYPTO_ERROR_BAD_SIGNATURE:
		return ESIM_BPP_REASON_INVALID_SIGNATURE;
	case ESIM_CRYPTO_ERROR_UNSUPPORTED:
		return ESIM_BPP_REASON_UNSUPPORTED_CRT_VALUES;
	case ESIM_CRYPTO_ERROR_INVALID_INPUT:
	case ESIM_CRYPTO_ERROR_SEQUENCE:
		return ESIM_BPP_REASON_SCP03T_STRUCTURE_ERROR;
	case ESIM_CRYPTO_ERROR_UNTRUSTED:
	case ESIM_CRYPTO_ERROR_EXPIRED:
	case ESIM_CRYPTO_ERROR_WRONG_ROLE:
	case ESIM_CRYPTO_ERROR_KEY_MISMATCH:
	case ESIM_CRYPTO_ERROR_NOT_FOUND:
	case ESIM_CRYPTO_ERROR_FAILED:
	default:
		return ESIM_BPP_REASON_UNKNOWN_ERROR;
	}
}

/* ---- InitialiseSecureChannelRequest ---- */

void
esim_init_secure_channel_free (EsimInitSecureChannel *iscr)
{
	if (iscr == NULL)
		return;
	g_clear_pointer (&iscr->transaction_id, g_bytes_unref);
	g_clear_pointer (&iscr->host_id, g_bytes_unref);
	g_clear_pointer (&iscr->signed_part, g_bytes_unref);
	g_free (iscr);
}

static gboolean
structure_error (GError **error, const gchar *what, GError *cause)
{
	g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT, "%s%s%s", what,
	             cause != NULL ? ": " : "", cause != NULL ? cause->message : "");
	return FALSE;
}

/* Next child of @iter with @tag and a value of @min..@max bytes. */
static gboolean
next_field (EsimTlvIter *iter, EsimTag tag, gsize min, gsize max, EsimTlv *out, const gchar *name,
            GError **error)
{
	g_autoptr(GError) local_error = NULL;

	if (!esim_tlv_iter_next (iter, out, &local_error) || out->tag != tag || out->len < min ||
	    out->len > max) {
		g_autofree gchar *what = g_strdup_printf ("InitialiseSecureChannelRequest: %s (tag %X, %"
		                                          G_GSIZE_FORMAT "..%" G_GSIZE_FORMAT " bytes) "
		                                          "missing or malformed", name, tag, min, max);
		return structure_error (error, what, local_error);
	}
	return TRUE;
}

static gboolean
parse_crt (EsimInitSecureChannel *iscr, const EsimTlv *crt, GError **error)
{
	EsimTlvIter iter;
	EsimTlv key_type, key_length, host_id, extra;

	esim_tlv_iter_init (&iter, crt);
	if (!next_field (&iter, TAG_CRT_KEY_TYPE, 1, 1, &key_type, "keyType", error) ||
	    !next_field (&iter, TAG_CRT_KEY_LENGTH, 1, 1, &key_length, "keyLen", error) ||
	    !next_field (&iter, TAG_CRT_HOST_ID, 1, ESIM_BSP_MAX_HOST_ID_LEN, &host_id, "hostId", error))
		return FALSE;
	if (esim_tlv_iter_next (&iter, &extra, NULL) || iter.pos != iter.end)
		return structure_error (error, "InitialiseSecureChannelRequest: data after hostId", NULL);
	iscr->key_type = key_type.value[0];
	iscr->key_length = key_length.value[0];
	iscr->host_id = esim_tlv_dup_value (&host_id);
	return TRUE;
}

EsimInitSecureChannel *
esim_init_secure_channel_parse (const guint8 *data, gsize len, GError **error)
{
	g_autoptr(EsimInitSecureChannel) iscr = g_new0 (EsimInitSecureChannel, 1);
	g_autoptr(GError) local_error = NULL;
	EsimTlv top, op, tid, crt, otpk, sig, extra;
	EsimTlvIter iter;
	guint64 op_id = 0;

	g_return_val_if_fail (data != NULL || len == 0, NULL);

	if (!esim_tlv_parse_tagged (data, len, ESIM_BPP_TAG_INIT_SECURE_CHANNEL, &top, &local_error)) {
		structure_error (error, "malformed InitialiseSecureChannelRequest", local_error);
		return NULL;
	}
	esim_tlv_iter_init (&iter, &top);
	if (!next_field (&iter, TAG_REMOTE_OP_ID, 1, 8, &op, "remoteOpId", error) ||
	    !next_field (&iter, TAG_TRANSACTION_ID, 1, MAX_TRANSACTION_ID, &tid, "transactionId", error) ||
	    !next_field (&iter, TAG_CRT, 0, G_MAXSIZE, &crt, "controlRefTemplate", error) ||
	    !parse_crt (iscr, &crt, error) ||
	    !next_field (&iter, TAG_OTPK, ESIM_P256_POINT_LEN, ESIM_P256_POINT_LEN, &otpk, "smdpOtpk", error) ||
	    !next_field (&iter, TAG_SIGNATURE, ESIM_ECDSA_RAW_LEN, ESIM_ECDSA_RAW_LEN, &sig, "smdpSign", error))
		return NULL;
	if (esim_tlv_iter_next (&iter, &extra, NULL) || iter.pos != iter.end) {
		structure_error (error, "InitialiseSecureChannelRequest: data after smdpSign", NULL);
		return NULL;
	}
	if (!esim_tlv_get_uint (&op, &op_id, NULL) || op_id > G_MAXUINT8) {
		structure_error (error, "InitialiseSecureChannelRequest: bad remoteOpId", NULL);
		return NULL;
	}
	if (otpk.value[0] != 0x04) {
		structure_error (error, "InitialiseSecureChannelRequest: smdpOtpk is not an uncompressed point",
		                 NULL);
		return NULL;
	}
	iscr->remote_op_id = (guint8) op_id;
	iscr->transaction_id = esim_tlv_dup_value (&tid);
	memcpy (iscr->smdp_otpk, otpk.value, ESIM_P256_POINT_LEN);
	memcpy (iscr->smdp_signature, sig.value, ESIM_ECDSA_RAW_LEN);
	/* 82, 80, A6 and 5F49 are contiguous: the signature covers them as received */
	iscr->signed_part = g_bytes_new (op.raw, (gsize) (otpk.raw + otpk.raw_len - op.raw));
	return g_steal_pointer (&iscr);
}

static GBytes *
concat_otpk (const guint8 *part, gsize part_len, const guint8 euicc_otpk[ESIM_P256_POINT_LEN])
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_put_raw (writer, part, part_len);
	esim_der_writer_put (writer, TAG_OTPK, euicc_otpk, ESIM_P256_POINT_LEN);
	return esim_der_writer_finish (writer);
}

GBytes *
esim_init_secure_channel_signed_data (const EsimInitSecureChannel *iscr,
                                      const guint8 euicc_otpk[ESIM_P256_POINT_LEN])
{
	gsize len;
	const guint8 *part;

	g_return_val_if_fail (iscr != NULL && euicc_otpk != NULL, NULL);
	part = g_bytes_get_data (iscr->signed_part, &len);
	return concat_otpk (part, len, euicc_otpk);
}

GBytes *
esim_init_secure_channel_build (const guint8 *transaction_id, gsize transaction_id_len,
                                const guint8 *host_id, gsize host_id_len,
                                const guint8 smdp_otpk[ESIM_P256_POINT_LEN],
                                const guint8 euicc_otpk[ESIM_P256_POINT_LEN],
                                gnutls_privkey_t dp_pb_key, GError **error)
{
	g_autoptr(EsimDerWriter) part_writer = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) part = NULL;
	g_autoptr(GBytes) to_sign = NULL;
	const guint8 key_type = ESIM_BSP_KEY_TYPE_AES;
	const guint8 key_length = ESIM_BSP_KEY_LENGTH;
	guint8 sig[ESIM_ECDSA_RAW_LEN];

	g_return_val_if_fail (transaction_id != NULL && host_id != NULL, NULL);
	g_return_val_if_fail (smdp_otpk != NULL && euicc_otpk != NULL && dp_pb_key != NULL, NULL);

	if (transaction_id_len == 0 || transaction_id_len > MAX_TRANSACTION_ID ||
	    host_id_len == 0 || host_id_len > ESIM_BSP_MAX_HOST_ID_LEN) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		                     "transaction ID and host ID must be 1 to 16 bytes");
		return NULL;
	}
	/* remoteOpId, transactionId, controlRefTemplate, smdpOtpk: what is signed,
	 * followed by the eUICC's otPK (pySim es8p.py gen_init_sec_chan_signed_part) */
	esim_der_writer_put_uint (part_writer, TAG_REMOTE_OP_ID, ESIM_BPP_REMOTE_OP_INSTALL);
	esim_der_writer_put (part_writer, TAG_TRANSACTION_ID, transaction_id, transaction_id_len);
	esim_der_writer_begin (part_writer, TAG_CRT);
	esim_der_writer_put (part_writer, TAG_CRT_KEY_TYPE, &key_type, 1);
	esim_der_writer_put (part_writer, TAG_CRT_KEY_LENGTH, &key_length, 1);
	esim_der_writer_put (part_writer, TAG_CRT_HOST_ID, host_id, host_id_len);
	esim_der_writer_end (part_writer);
	esim_der_writer_put (part_writer, TAG_OTPK, smdp_otpk, ESIM_P256_POINT_LEN);
	part = esim_der_writer_finish (part_writer);

	to_sign = concat_otpk (g_bytes_get_data (part, NULL), g_bytes_get_size (part), euicc_otpk);
	if (!esim_ecdsa_sign (dp_pb_key, g_bytes_get_data (to_sign, NULL), g_bytes_get_size (to_sign), sig,
	                      error))
		return NULL;

	esim_der_writer_begin (writer, ESIM_BPP_TAG_INIT_SECURE_CHANNEL);
	esim_der_writer_put_raw (writer, g_bytes_get_data (part, NULL), g_bytes_get_size (part));
	esim_der_writer_put (writer, TAG_SIGNATURE, sig, sizeof (sig));
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* ---- structure ---- */

void
esim_bpp_parts_free (EsimBppParts *parts)
{
	if (parts == NULL)
		return;
	g_clear_pointer (&parts->init_secure_channel, g_bytes_unref);
	g_clear_pointer (&parts->first_87, g_ptr_array_unref);
	g_clear_pointer (&parts->seq_88, g_ptr_array_unref);
	g_clear_pointer (&parts->second_87, g_ptr_array_unref);
	g_clear_pointer (&parts->seq_86, g_ptr_array_unref);
	g_free (parts);
}

/* The elements of one sequenceOfXX: at least one, each with @element_tag. */
static GPtrArray *
split_sequence (const EsimTlv *seq, EsimTag element_tag, GError **error)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
	g_autoptr(GError) local_error = NULL;
	EsimTlvIter iter;
	EsimTlv element;

	esim_tlv_iter_init (&iter, seq);
	while (esim_tlv_iter_next (&iter, &element, &local_error)) {
		if (element.tag != element_tag) {
			g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
			             "bound profile package: element %X in sequence %X, expected %X",
			             element.tag, seq->tag, element_tag);
			return NULL;
		}
		g_ptr_array_add (out, esim_tlv_dup_raw (&element));
	}
	if (local_error != NULL || out->len == 0) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "bound profile package: sequence %X is %s%s", seq->tag,
		             local_error != NULL ? "malformed: " : "empty",
		             local_error != NULL ? local_error->message : "");
		return NULL;
	}
	return g_steal_pointer (&out);
}

static gboolean
next_part (EsimTlvIter *iter, EsimTag tag, EsimTlv *out, GError **error)
{
	g_autoptr(GError) local_error = NULL;

	if (!esim_tlv_iter_next (iter, out, &local_error) || out->tag != tag) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "bound profile package: %X missing or out of order%s%s", tag,
		             local_error != NULL ? ": " : "", local_error != NULL ? local_error->message : "");
		return FALSE;
	}
	return TRUE;
}

EsimBppParts *
esim_bpp_split (const guint8 *data, gsize len, GError **error)
{
	g_autoptr(EsimBppParts) parts = g_new0 (EsimBppParts, 1);
	g_autoptr(GError) local_error = NULL;
	EsimTlv top, iscr, a0, a1, next, extra;
	EsimTlvIter iter;

	g_return_val_if_fail (data != NULL || len == 0, NULL);

	if (!esim_tlv_parse_tagged (data, len, ESIM_BPP_TAG, &top, &local_error)) {
		structure_error (error, "malformed bound profile package", local_error);
		return NULL;
	}
	esim_tlv_iter_init (&iter, &top);
	if (!next_part (&iter, ESIM_BPP_TAG_INIT_SECURE_CHANNEL, &iscr, error) ||
	    !next_part (&iter, ESIM_BPP_TAG_FIRST_SEQUENCE_OF_87, &a0, error) ||
	    !next_part (&iter, ESIM_BPP_TAG_SEQUENCE_OF_88, &a1, error))
		return NULL;
	parts->init_secure_channel = esim_tlv_dup_raw (&iscr);
	parts->first_87 = split_sequence (&a0, ESIM_BSP_TAG_CONFIGURE_ISDP, error);
	if (parts->first_87 == NULL)
		return NULL;
	parts->seq_88 = split_sequence (&a1, ESIM_BSP_TAG_STORE_METADATA, error);
	if (parts->seq_88 == NULL)
		return NULL;
	if (!esim_tlv_iter_next (&iter, &next, &local_error) ||
	    (next.tag != ESIM_BPP_TAG_SECOND_SEQUENCE_OF_87 && next.tag != ESIM_BPP_TAG_SEQUENCE_OF_86)) {
		structure_error (error, "bound profile package: A3 missing or out of order", local_error);
		return NULL;
	}
	if (next.tag == ESIM_BPP_TAG_SECOND_SEQUENCE_OF_87) {
		parts->second_87 = split_sequence (&next, ESIM_BSP_TAG_CONFIGURE_ISDP, error);
		if (parts->second_87 == NULL || !next_part (&iter, ESIM_BPP_TAG_SEQUENCE_OF_86, &next, error))
			return NULL;
	}
	parts->seq_86 = split_sequence (&next, ESIM_BSP_TAG_LOAD_PROFILE_ELEMENTS, error);
	if (parts->seq_86 == NULL)
		return NULL;
	if (esim_tlv_iter_next (&iter, &extra, NULL) || iter.pos != iter.end) {
		structure_error (error, "bound profile package: data after A3", NULL);
		return NULL;
	}
	return g_steal_pointer (&parts);
}

/* ---- SM-DP+ side ---- */

GPtrArray *
esim_bpp_protect_profile (const EsimBspKeys *ppk, const guint8 *upp, gsize len, GError **error)
{
	g_autoptr(EsimBsp) bsp = NULL;

	g_return_val_if_fail (ppk != NULL, NULL);
	g_return_val_if_fail (upp != NULL || len == 0, NULL);
	bsp = esim_bsp_new (ppk);
	return esim_bsp_wrap_all (bsp, ESIM_BSP_TAG_LOAD_PROFILE_ELEMENTS, TRUE, upp, len, error);
}

static void
put_sequence (EsimDerWriter *writer, EsimTag tag, GPtrArray *segments)
{
	esim_der_writer_begin (writer, tag);
	for (guint i = 0; i < segments->len; i++) {
		GBytes *segment = g_ptr_array_index (segments, i);

		esim_der_writer_put_raw (writer, g_bytes_get_data (segment, NULL), g_bytes_get_size (segment));
	}
	esim_der_writer_end (writer);
}

static GPtrArray *
wrap_bytes (EsimBsp *bsp, guint8 tag, gboolean encrypt, GBytes *data, GError **error)
{
	gsize len;
	const guint8 *p = g_bytes_get_data (data, &len);

	return esim_bsp_wrap_all (bsp, tag, encrypt, p, len, error);
}

GBytes *
esim_bpp_build (const EsimBspKeys *session_keys, const EsimBppContent *content, GError **error)
{
	g_autoptr(EsimBsp) bsp = NULL;
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GPtrArray) a0 = NULL;
	g_autoptr(GPtrArray) a1 = NULL;
	g_autoptr(GPtrArray) a2 = NULL;
	g_autoptr(GPtrArray) a3 = NULL;

	g_return_val_if_fail (session_keys != NULL && content != NULL, NULL);
	g_return_val_if_fail (content->init_secure_channel != NULL, NULL);
	g_return_val_if_fail (content->configure_isdp != NULL && content->store_metadata != NULL, NULL);

	if ((content->upp != NULL) == (content->ppp != NULL) ||
	    (content->ppp != NULL) != (content->ppk != NULL)) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		                     "a bound profile package carries either a profile or a profile "
		                     "protected in advance with its keys");
		return NULL;
	}
	bsp = esim_bsp_new (session_keys);
	a0 = wrap_bytes (bsp, ESIM_BSP_TAG_CONFIGURE_ISDP, TRUE, content->configure_isdp, error);
	if (a0 == NULL)
		return NULL;
	a1 = wrap_bytes (bsp, ESIM_BSP_TAG_STORE_METADATA, FALSE, content->store_metadata, error);
	if (a1 == NULL)
		return NULL;
	if (content->ppp != NULL) {
		g_autoptr(GBytes) rsk = esim_bsp_encode_replace_session_keys (content->ppk);

		a2 = wrap_bytes (bsp, ESIM_BSP_TAG_CONFIGURE_ISDP, TRUE, rsk, error);
		if (a2 == NULL)
			return NULL;
		a3 = g_ptr_array_ref (content->ppp);
	} else {
		a3 = wrap_bytes (bsp, ESIM_BSP_TAG_LOAD_PROFILE_ELEMENTS, TRUE, content->upp, error);
		if (a3 == NULL)
			return NULL;
	}
	esim_der_writer_begin (writer, ESIM_BPP_TAG);
	esim_der_writer_put_raw (writer, g_bytes_get_data (content->init_secure_channel, NULL),
	                         g_bytes_get_size (content->init_secure_channel));
	put_sequence (writer, ESIM_BPP_TAG_FIRST_SEQUENCE_OF_87, a0);
	put_sequence (writer, ESIM_BPP_TAG_SEQUENCE_OF_88, a1);
	if (a2 != NULL)
		put_sequence (writer, ESIM_BPP_TAG_SECOND_SEQUENCE_OF_87, a2);
	put_sequence (writer, ESIM_BPP_TAG_SEQUENCE_OF_86, a3);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* ---- eUICC side ---- */

void
esim_bpp_plain_free (EsimBppPlain *plain)
{
	if (plain == NULL)
		return;
	g_clear_pointer (&plain->configure_isdp, g_bytes_unref);
	g_clear_pointer (&plain->store_metadata, g_bytes_unref);
	g_clear_pointer (&plain->profile, g_bytes_unref);
	memset (&plain->ppk, 0, sizeof (plain->ppk));
	g_free (plain);
}

/* Unwraps every segment of a sequence and joins the plaintexts. */
static GBytes *
unwrap_sequence (EsimBsp *bsp, GPtrArray *segments, guint8 tag, gboolean encrypted, GError **error)
{
	GByteArray *out = g_byte_array_new ();

	for (guint i = 0; i < segments->len; i++) {
		GBytes *segment = g_ptr_array_index (segments, i);
		gsize len;
		const guint8 *p = g_bytes_get_data (segment, &len);
		g_autoptr(GBytes) plain = esim_bsp_unwrap (bsp, tag, encrypted, p, len, error);

		if (plain == NULL) {
			g_byte_array_unref (out);
			return NULL;
		}
		g_byte_array_append (out, g_bytes_get_data (plain, NULL), (guint) g_bytes_get_size (plain));
	}
	return g_byte_array_free_to_bytes (out);
}

/* The plaintext of a command sequence must be exactly one TLV with @tag. */
static gboolean
check_command (GBytes *plain, EsimTag tag, const gchar *name, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	EsimTlv tlv;
	gsize len;
	const guint8 *p = g_bytes_get_data (plain, &len);

	if (!esim_tlv_parse_tagged (p, len, tag, &tlv, &local_error)) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "%s segments do not hold one %X element: %s", name, tag, local_error->message);
		return FALSE;
	}
	return TRUE;
}

EsimBppPlain *
esim_bpp_open (const EsimBspKeys *session_keys, const guint8 *data, gsize len,
               EsimBppCommand *failed_command, GError **error)
{
	g_autoptr(EsimBppPlain) plain = g_new0 (EsimBppPlain, 1);
	g_autoptr(EsimBppParts) parts = NULL;
	g_autoptr(EsimBsp) bsp = NULL;
	EsimBppCommand dummy;
	EsimBppCommand *stage = failed_command != NULL ? failed_command : &dummy;

	g_return_val_if_fail (session_keys != NULL, NULL);
	g_return_val_if_fail (data != NULL || len == 0, NULL);

	*stage = ESIM_BPP_COMMAND_INITIALISE_SECURE_CHANNEL;
	parts = esim_bpp_split (data, len, error);
	if (parts == NULL)
		return NULL;
	bsp = esim_bsp_new (session_keys);

	*stage = ESIM_BPP_COMMAND_CONFIGURE_ISDP;
	plain->configure_isdp = unwrap_sequence (bsp, parts->first_87, ESIM_BSP_TAG_CONFIGURE_ISDP, TRUE,
	                                         error);
	if (plain->configure_isdp == NULL ||
	    !check_command (plain->configure_isdp, ESIM_BPP_TAG_CONFIGURE_ISDP, "ConfigureISDP", error))
		return NULL;

	*stage = ESIM_BPP_COMMAND_STORE_METADATA;
	plain->store_metadata = unwrap_sequence (bsp, parts->seq_88, ESIM_BSP_TAG_STORE_METADATA, FALSE, error);
	if (plain->store_metadata == NULL ||
	    !check_command (plain->store_metadata, ESIM_BPP_TAG_STORE_METADATA, "StoreMetadata", error))
		return NULL;

	if (parts->second_87 != NULL) {
		g_autoptr(GBytes) rsk = NULL;

		*stage = ESIM_BPP_COMMAND_REPLACE_SESSION_KEYS;
		rsk = unwrap_sequence (bsp, parts->second_87, ESIM_BSP_TAG_CONFIGURE_ISDP, TRUE, error);
		if (rsk == NULL ||
		    !esim_bsp_parse_replace_session_keys (g_bytes_get_data (rsk, NULL), g_bytes_get_size (rsk),
		                                          &plain->ppk, error))
			return NULL;
		plain->replaced_keys = TRUE;
		esim_bsp_replace_keys (bsp, &plain->ppk);
	}

	*stage = ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS;
	plain->profile = unwrap_sequence (bsp, parts->seq_86, ESIM_BSP_TAG_LOAD_PROFILE_ELEMENTS, TRUE, error);
	if (plain->profile == NULL)
		return NULL;
	return g_steal_pointer (&plain);
}
