/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ES10 request encoders.  Tags follow the ASN.1 modules: SGP.22 v2.5
 * RSPDefinitions for the consumer functions, SGP.32 v1.2 for the IoT ones.
 * Both modules use AUTOMATIC TAGS, so an untagged CHOICE component gets an
 * explicit [n] wrapper (A0 …) while other untagged components are implicit.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-der.h"
#include "esim-es10.h"
#include "esim-tags.h"
#include "esim-util.h"

#define ES10_NICKNAME_MAX ESIM_NICKNAME_MAX_LENGTH /* profileNickname UTF8String (SIZE(0..64)) */
#define ES10_EIM_ID_MAX	  ESIM_EIM_ID_MAX_LENGTH   /* eimId UTF8String (SIZE(1..128)) */
#define ES10_AID_MAX	  16	/* OctetTo16 */

/* A request with no content, e.g. BF20 00. */
static GBytes *
encode_empty (EsimTag tag)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, tag);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

static gboolean
iccid_to_bcd (const gchar *function, const gchar *iccid, guint8 bcd[10], GError **error)
{
	if (iccid == NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: no ICCID given",
			     function);
		return FALSE;
	}
	if (!esim_iccid_to_bcd (iccid, bcd, error)) {
		g_prefix_error (error, "%s: ", function);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_utf8 (const gchar *function, const gchar *what, const gchar *str, gsize max_len,
	    GError **error)
{
	if (!g_utf8_validate (str, -1, NULL)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			     "%s: %s is not valid UTF-8", function, what);
		return FALSE;
	}
	if (max_len > 0 && strlen (str) > max_len) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			     "%s: %s is longer than %" G_GSIZE_FORMAT " bytes", function, what,
			     max_len);
		return FALSE;
	}
	return TRUE;
}

/* Decodes hex and checks the length range; used for AIDs and key identifiers. */
static GBytes *
decode_hex_arg (const gchar *function, const gchar *what, const gchar *hex, gsize min_len,
		gsize max_len, GError **error)
{
	g_autoptr(GBytes) bytes = esim_hex_decode (hex, error);

	if (bytes == NULL) {
		g_prefix_error (error, "%s: %s: ", function, what);
		return NULL;
	}
	if (g_bytes_get_size (bytes) < min_len || g_bytes_get_size (bytes) > max_len) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			     "%s: %s must be %" G_GSIZE_FORMAT " to %" G_GSIZE_FORMAT
			     " bytes, got %" G_GSIZE_FORMAT,
			     function, what, min_len, max_len, g_bytes_get_size (bytes));
		return NULL;
	}
	return g_steal_pointer (&bytes);
}

GBytes *
esim_es10_encode_get_eid (void)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	const guint8 tag_list[] = { ESIM_TAG_EID };

	/* GetEuiccDataRequest: tagList [APPLICATION 28] = '5A' (the EID) */
	esim_der_writer_begin (writer, ESIM_TAG_GET_EID);
	esim_der_writer_put (writer, ESIM_TAG_TAG_LIST, tag_list, sizeof (tag_list));
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
esim_es10_encode_get_euicc_info1 (void)
{
	return encode_empty (ESIM_TAG_GET_EUICC_INFO1);
}

GBytes *
esim_es10_encode_get_euicc_info2 (void)
{
	return encode_empty (ESIM_TAG_GET_EUICC_INFO2);
}

static gboolean
put_profile_search_criterion (EsimDerWriter *writer, const EsimProfileSearch *search,
			      GError **error)
{
	guint n_criteria = 0;

	if (search->iccid != NULL)
		n_criteria++;
	if (search->isdp_aid != NULL)
		n_criteria++;
	if (search->profile_class >= 0)
		n_criteria++;
	if (n_criteria > 1) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				     "GetProfilesInfo: give at most one of ICCID, ISD-P AID "
				     "and profile class");
		return FALSE;
	}
	if (n_criteria == 0)
		return TRUE;

	/* searchCriteria [0] CHOICE: explicit wrapper around the alternative */
	if (search->iccid != NULL) {
		guint8 bcd[10];
		if (!iccid_to_bcd ("GetProfilesInfo", search->iccid, bcd, error))
			return FALSE;
		esim_der_writer_begin (writer, ESIM_TAG_SEARCH_CRITERIA);
		esim_der_writer_put (writer, ESIM_TAG_ICCID, bcd, sizeof (bcd));
		esim_der_writer_end (writer);
	} else if (search->isdp_aid != NULL) {
		g_autoptr(GBytes) aid = decode_hex_arg ("GetProfilesInfo", "ISD-P AID",
							search->isdp_aid, 1, ES10_AID_MAX, error);
		if (aid == NULL)
			return FALSE;
		esim_der_writer_begin (writer, ESIM_TAG_SEARCH_CRITERIA);
		esim_der_writer_put_bytes (writer, ESIM_TAG_ISDP_AID, aid);
		esim_der_writer_end (writer);
	} else {
		if (search->profile_class > ESIM_PROFILE_CLASS_OPERATIONAL) {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				     "GetProfilesInfo: invalid profile class %d",
				     (gint) search->profile_class);
			return FALSE;
		}
		esim_der_writer_begin (writer, ESIM_TAG_SEARCH_CRITERIA);
		esim_der_writer_put_uint (writer, ESIM_TAG_PROFILE_CLASS,
					  (guint64) search->profile_class);
		esim_der_writer_end (writer);
	}
	return TRUE;
}

GBytes *
esim_es10_encode_get_profiles_info (const EsimProfileSearch *search, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, ESIM_TAG_GET_PROFILES_INFO);
	if (search != NULL) {
		if (!put_profile_search_criterion (writer, search, error))
			return NULL;
		if (search->tag_list != NULL)
			esim_der_writer_put_bytes (writer, ESIM_TAG_TAG_LIST, search->tag_list);
	}
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* EnableProfileRequest / DisableProfileRequest:
 * { profileIdentifier [0] CHOICE { 5A iccid }, refreshFlag [1] BOOLEAN } */
static GBytes *
encode_profile_switch (EsimTag tag, const gchar *function, const gchar *iccid, gboolean refresh,
		       GError **error)
{
	g_autoptr(EsimDerWriter) writer = NULL;
	guint8 bcd[10];

	if (!iccid_to_bcd (function, iccid, bcd, error))
		return NULL;
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, tag);
	esim_der_writer_begin (writer, ESIM_TAG_PROFILE_IDENTIFIER);
	esim_der_writer_put (writer, ESIM_TAG_ICCID, bcd, sizeof (bcd));
	esim_der_writer_end (writer);
	esim_der_writer_put_bool (writer, ESIM_TAG_REFRESH_FLAG, refresh);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
esim_es10_encode_enable_profile (const gchar *iccid, gboolean refresh, GError **error)
{
	return encode_profile_switch (ESIM_TAG_ENABLE_PROFILE, "EnableProfile", iccid, refresh,
				      error);
}

GBytes *
esim_es10_encode_disable_profile (const gchar *iccid, gboolean refresh, GError **error)
{
	return encode_profile_switch (ESIM_TAG_DISABLE_PROFILE, "DisableProfile", iccid, refresh,
				      error);
}

GBytes *
esim_es10_encode_delete_profile (const gchar *iccid, GError **error)
{
	g_autoptr(EsimDerWriter) writer = NULL;
	guint8 bcd[10];

	/* DeleteProfileRequest is itself a [51] CHOICE: BF33 { 5A iccid } */
	if (!iccid_to_bcd ("DeleteProfile", iccid, bcd, error))
		return NULL;
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, ESIM_TAG_DELETE_PROFILE);
	esim_der_writer_put (writer, ESIM_TAG_ICCID, bcd, sizeof (bcd));
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
esim_es10_encode_set_nickname (const gchar *iccid, const gchar *nickname, GError **error)
{
	g_autoptr(EsimDerWriter) writer = NULL;
	guint8 bcd[10];

	g_return_val_if_fail (nickname != NULL, NULL);

	if (!iccid_to_bcd ("SetNickname", iccid, bcd, error))
		return NULL;
	if (!check_utf8 ("SetNickname", "nickname", nickname, ES10_NICKNAME_MAX, error))
		return NULL;
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, ESIM_TAG_SET_NICKNAME);
	esim_der_writer_put (writer, ESIM_TAG_ICCID, bcd, sizeof (bcd));
	esim_der_writer_put_utf8 (writer, ESIM_TAG_PROFILE_NICKNAME, nickname);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
esim_es10_encode_memory_reset (EsimEs10Variant variant, guint options)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	guint n_bits = variant == ESIM_ES10_VARIANT_SGP22 ? 3 : 7;
	guint8 value[2];

	/* resetOptions is sent with all of the function's named bits, as the
	 * field implementations do (V21 BF34 04 82 02 05 C0), rather than with
	 * trailing zero bits dropped. */
	value[0] = 8 - n_bits;
	value[1] = 0;
	for (guint bit = 0; bit < n_bits; bit++) {
		if (options & (1u << bit))
			value[1] |= 0x80 >> bit;
	}
	esim_der_writer_begin (writer, variant == ESIM_ES10_VARIANT_SGP22 ?
			       ESIM_TAG_MEMORY_RESET_SGP22 : ESIM_TAG_MEMORY_RESET_SGP32);
	esim_der_writer_put (writer, ESIM_TAG_RESET_OPTIONS, value, sizeof (value));
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
esim_es10_encode_list_notification (guint events)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, ESIM_TAG_LIST_NOTIFICATION);
	if (events != 0)
		esim_der_writer_put_named_bits (writer, ESIM_TAG_NOTIF_OPERATION, events & 0x0F);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
esim_es10_encode_retrieve_notifications_list (EsimNotificationSearch search, guint64 value)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, ESIM_TAG_RETRIEVE_NOTIFICATIONS);
	/* searchCriteria is an untagged CHOICE: automatic tagging wraps it in
	 * an explicit [0] (V12: BF2B 05 A0 03 80 01 13) */
	switch (search) {
	case ESIM_NOTIFICATION_SEARCH_SEQ_NUMBER:
		esim_der_writer_begin (writer, ESIM_TAG_SEARCH_CRITERIA);
		esim_der_writer_put_uint (writer, ESIM_TAG_SEARCH_SEQ_NUMBER, value);
		esim_der_writer_end (writer);
		break;
	case ESIM_NOTIFICATION_SEARCH_OPERATION:
		esim_der_writer_begin (writer, ESIM_TAG_SEARCH_CRITERIA);
		esim_der_writer_put_named_bits (writer, ESIM_TAG_SEARCH_OPERATION,
						(guint32) (value & 0x0F));
		esim_der_writer_end (writer);
		break;
	case ESIM_NOTIFICATION_SEARCH_EUICC_PACKAGE_RESULTS:
		esim_der_writer_begin (writer, ESIM_TAG_SEARCH_CRITERIA);
		esim_der_writer_put_null (writer, ESIM_TAG_SEARCH_EUICC_PACKAGE_RESULTS);
		esim_der_writer_end (writer);
		break;
	case ESIM_NOTIFICATION_SEARCH_ALL:
	default:
		break;
	}
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
esim_es10_encode_remove_notification (guint64 seq_number)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, ESIM_TAG_REMOVE_NOTIFICATION);
	esim_der_writer_put_uint (writer, ESIM_TAG_NOTIFICATION_SENT_SEQ_NUMBER, seq_number);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
esim_es10_encode_get_configured_addresses (void)
{
	return encode_empty (ESIM_TAG_GET_CONFIGURED_ADDRESSES);
}

GBytes *
esim_es10_encode_set_default_dp_address (EsimEs10Variant variant, const gchar *address,
					 GError **error)
{
	g_autoptr(EsimDerWriter) writer = NULL;

	g_return_val_if_fail (address != NULL, NULL);

	if (!check_utf8 ("SetDefaultDpAddress", "address", address, 255, error))
		return NULL;
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, variant == ESIM_ES10_VARIANT_SGP22 ?
			       ESIM_TAG_SET_DEFAULT_DP_SGP22 : ESIM_TAG_SET_DEFAULT_DP_SGP32);
	esim_der_writer_put_utf8 (writer, ESIM_TAG_DEFAULT_DP_ADDRESS, address);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
esim_es10_encode_get_rat (void)
{
	return encode_empty (ESIM_TAG_GET_RAT);
}

GBytes *
esim_es10_encode_get_certs (const gchar *ci_pkid_hex, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, ESIM_TAG_GET_CERTS);
	if (ci_pkid_hex != NULL) {
		g_autoptr(GBytes) pkid = decode_hex_arg ("GetCerts", "CI key identifier",
							 ci_pkid_hex, 1, 64, error);
		if (pkid == NULL)
			return NULL;
		esim_der_writer_put_bytes (writer, ESIM_TAG_GET_CERTS_CI_PKID, pkid);
	}
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
esim_es10_encode_get_eim_configuration_data (const gchar *eim_id)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	g_return_val_if_fail (eim_id == NULL || g_utf8_validate (eim_id, -1, NULL), NULL);

	esim_der_writer_begin (writer, ESIM_TAG_GET_EIM_CONFIGURATION_DATA);
	if (eim_id != NULL) {
		/* searchCriteria CHOICE { eimId [0] }: explicit A0 wrapper */
		esim_der_writer_begin (writer, ESIM_TAG_SEARCH_CRITERIA);
		esim_der_writer_put_utf8 (writer, ESIM_TAG_SEARCH_EIM_ID, eim_id);
		esim_der_writer_end (writer);
	}
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* Checks BF57 { A0 { 30 … (one or more) } } and every EimConfigurationData in it. */
static gboolean
validate_add_initial_eim_request (const guint8 *data, gsize len, GError **error)
{
	EsimTlv request;
	EsimTlv list;
	EsimTlv child;
	EsimTlvIter iter;
	guint n_configs = 0;
	g_autoptr(GError) error_local = NULL;

	if (!esim_tlv_parse_tagged (data, len, ESIM_TAG_ADD_INITIAL_EIM, &request, error))
		return FALSE;
	if (!esim_tlv_parse_exact (request.value, request.len, &list, error)) {
		g_prefix_error (error, "eimConfigurationDataList: ");
		return FALSE;
	}
	if (list.tag != ESIM_TAG_EIM_CONFIGURATION_LIST) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
			     "expected eimConfigurationDataList (A0), got %02X", list.tag);
		return FALSE;
	}
	esim_tlv_iter_init (&iter, &list);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		g_autoptr(EsimEimConfig) config = NULL;
		config = esim_es10_parse_eim_config (child.raw, child.raw_len, error);
		if (config == NULL)
			return FALSE;
		n_configs++;
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return FALSE;
	}
	if (n_configs == 0) {
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING,
				     "eimConfigurationDataList is empty");
		return FALSE;
	}
	return TRUE;
}

GBytes *
esim_es10_encode_add_initial_eim (GBytes *config_der, GError **error)
{
	g_autoptr(EsimDerWriter) writer = NULL;
	g_autoptr(EsimEimConfig) config = NULL;
	const guint8 *data;
	gsize len = 0;

	g_return_val_if_fail (config_der != NULL, NULL);

	data = g_bytes_get_data (config_der, &len);
	if (len == 0) {
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING,
				     "AddInitialEim: empty eIM configuration");
		return NULL;
	}

	/* a complete AddInitialEimRequest is forwarded byte for byte */
	if (data[0] == ESIM_TAG_ADD_INITIAL_EIM >> 8) {
		g_autoptr(GError) error_local = NULL;
		if (!validate_add_initial_eim_request (data, len, &error_local)) {
			g_propagate_prefixed_error (error, g_steal_pointer (&error_local),
						    "AddInitialEim: ");
			return NULL;
		}
		return g_bytes_ref (config_der);
	}

	/* one EimConfigurationData: wrap it */
	config = esim_es10_parse_eim_config (data, len, error);
	if (config == NULL) {
		g_prefix_error (error, "AddInitialEim: ");
		return NULL;
	}
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, ESIM_TAG_ADD_INITIAL_EIM);
	esim_der_writer_begin (writer, ESIM_TAG_EIM_CONFIGURATION_LIST);
	esim_der_writer_put_raw (writer, data, len);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}
