/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ES10 calls over an open EsimIsdr.  Each call is one request TLV sent with
 * esim_isdr_transceive_async() and one parser run on the answer; the generic
 * helper es10_call() does the sending, the typed wrappers below only encode
 * and pick the parser.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-es10.h"
#include "esim-util.h"

/* Parses @response and returns the typed result (or error) through @task. */
typedef void (*Es10ReturnFunc) (GTask *task, GBytes *response);

typedef struct {
	const gchar	*function; /* spec name, for the debug log */
	Es10ReturnFunc	 return_func;
	EsimEs10Variant	 variant;
} Es10Call;

static void
es10_call_free (Es10Call *call)
{
	g_free (call);
}

static void
es10_transceive_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	Es10Call *call = g_task_get_task_data (task);
	g_autoptr(GBytes) response = NULL;
	GError *error = NULL;

	response = esim_isdr_transceive_finish (ESIM_ISDR (source), res, &error);
	if (response == NULL) {
		g_prefix_error (&error, "%s: ", call->function);
		g_task_return_error (task, error);
		return;
	}
	call->return_func (task, response);
}

/* Sends @request (or, if encoding failed, returns @encode_error without
 * touching the card) and hands the answer to @return_func. */
static void
es10_call (EsimIsdr *isdr, const gchar *function, GBytes *request, GError *encode_error,
	   Es10ReturnFunc return_func, EsimEs10Variant variant, gpointer source_tag,
	   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (isdr, cancellable, callback, user_data);
	Es10Call *call = g_new0 (Es10Call, 1);

	call->function = function;
	call->return_func = return_func;
	call->variant = variant;
	g_task_set_source_tag (task, source_tag);
	g_task_set_task_data (task, call, (GDestroyNotify) es10_call_free);

	if (request == NULL) {
		g_task_return_error (task, encode_error);
		return;
	}
	g_debug ("ES10 %s (%" G_GSIZE_FORMAT " bytes)", function, g_bytes_get_size (request));
	esim_isdr_transceive_async (isdr, request, cancellable, es10_transceive_ready,
				    g_steal_pointer (&task));
}

static void
es10_return_pointer (GTask *task, gpointer result, GDestroyNotify free_func, GError *error)
{
	if (result == NULL) {
		g_task_return_error (task, error);
		return;
	}
	g_task_return_pointer (task, result, free_func);
}

static void
es10_return_boolean (GTask *task, gboolean ok, GError *error)
{
	if (!ok) {
		g_task_return_error (task, error);
		return;
	}
	g_task_return_boolean (task, TRUE);
}

static EsimEs10Variant
es10_task_variant (GTask *task)
{
	Es10Call *call = g_task_get_task_data (task);
	return call->variant;
}

static gpointer
es10_finish_pointer (EsimIsdr *isdr, GAsyncResult *res, gpointer source_tag, GError **error)
{
	g_return_val_if_fail (ESIM_IS_ISDR (isdr), NULL);
	g_return_val_if_fail (g_task_is_valid (res, isdr), NULL);
	g_return_val_if_fail (g_async_result_is_tagged (res, source_tag), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}

static gboolean
es10_finish_boolean (EsimIsdr *isdr, GAsyncResult *res, gpointer source_tag, GError **error)
{
	g_return_val_if_fail (ESIM_IS_ISDR (isdr), FALSE);
	g_return_val_if_fail (g_task_is_valid (res, isdr), FALSE);
	g_return_val_if_fail (g_async_result_is_tagged (res, source_tag), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* Starts a call whose request cannot fail to encode. */
static void
es10_call_simple (EsimIsdr *isdr, const gchar *function, GBytes *request,
		  Es10ReturnFunc return_func, gpointer source_tag, GCancellable *cancellable,
		  GAsyncReadyCallback callback, gpointer user_data)
{
	es10_call (isdr, function, request, NULL, return_func, ESIM_ES10_VARIANT_SGP32,
		   source_tag, cancellable, callback, user_data);
}

/* ---- GetEID ---- */

static void
return_get_eid (GTask *task, GBytes *response)
{
	GError *error = NULL;
	gchar *eid = esim_es10_parse_get_eid (response, &error);
	es10_return_pointer (task, eid, g_free, error);
}

void
esim_es10_get_eid (EsimIsdr *isdr, ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = esim_es10_encode_get_eid ();

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	es10_call_simple (isdr, "GetEID", request, return_get_eid, esim_es10_get_eid,
			  cancellable, callback, user_data);
}

gchar *
esim_es10_get_eid_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_pointer (isdr, res, esim_es10_get_eid, error);
}

/* ---- GetEUICCInfo1 / 2 ---- */

static void
return_euicc_info1 (GTask *task, GBytes *response)
{
	GError *error = NULL;
	EsimEuiccInfo1 *info = esim_es10_parse_euicc_info1 (response, &error);
	es10_return_pointer (task, info, (GDestroyNotify) esim_euicc_info1_free, error);
}

void
esim_es10_get_euicc_info1 (EsimIsdr *isdr, ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = esim_es10_encode_get_euicc_info1 ();

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	es10_call_simple (isdr, "GetEUICCInfo1", request, return_euicc_info1,
			  esim_es10_get_euicc_info1, cancellable, callback, user_data);
}

EsimEuiccInfo1 *
esim_es10_get_euicc_info1_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_pointer (isdr, res, esim_es10_get_euicc_info1, error);
}

static void
return_euicc_info2 (GTask *task, GBytes *response)
{
	GError *error = NULL;
	EsimEuiccInfo2 *info = esim_es10_parse_euicc_info2 (response, &error);
	es10_return_pointer (task, info, (GDestroyNotify) esim_euicc_info2_free, error);
}

void
esim_es10_get_euicc_info2 (EsimIsdr *isdr, ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = esim_es10_encode_get_euicc_info2 ();

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	es10_call_simple (isdr, "GetEUICCInfo2", request, return_euicc_info2,
			  esim_es10_get_euicc_info2, cancellable, callback, user_data);
}

EsimEuiccInfo2 *
esim_es10_get_euicc_info2_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_pointer (isdr, res, esim_es10_get_euicc_info2, error);
}

/* ---- GetProfilesInfo ---- */

static void
return_profiles_info (GTask *task, GBytes *response)
{
	GError *error = NULL;
	GPtrArray *profiles = esim_es10_parse_profiles_info (response, &error);
	es10_return_pointer (task, profiles, (GDestroyNotify) g_ptr_array_unref, error);
}

void
esim_es10_get_profiles_info (EsimIsdr *isdr, const EsimProfileSearch *search, ESIM_ES10_ASYNC_ARGS)
{
	GError *error = NULL;
	g_autoptr(GBytes) request = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	request = esim_es10_encode_get_profiles_info (search, &error);
	es10_call (isdr, "GetProfilesInfo", request, error, return_profiles_info,
		   ESIM_ES10_VARIANT_SGP32, esim_es10_get_profiles_info, cancellable, callback,
		   user_data);
}

GPtrArray *
esim_es10_get_profiles_info_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_pointer (isdr, res, esim_es10_get_profiles_info, error);
}

/* ---- EnableProfile / DisableProfile / DeleteProfile / SetNickname ---- */

static void
log_profile_call (const gchar *function, const gchar *iccid)
{
	g_autofree gchar *iccid_log = esim_log_personal (iccid);
	g_debug ("ES10 %s ICCID %s", function, iccid_log);
}

static void
return_enable_profile (GTask *task, GBytes *response)
{
	GError *error = NULL;
	gboolean ok = esim_es10_parse_enable_profile (response, &error);
	es10_return_boolean (task, ok, error);
}

void
esim_es10_enable_profile (EsimIsdr *isdr, const gchar *iccid, gboolean refresh,
                          ESIM_ES10_ASYNC_ARGS)
{
	GError *error = NULL;
	g_autoptr(GBytes) request = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	log_profile_call ("EnableProfile", iccid);
	request = esim_es10_encode_enable_profile (iccid, refresh, &error);
	es10_call (isdr, "EnableProfile", request, error, return_enable_profile,
		   ESIM_ES10_VARIANT_SGP32, esim_es10_enable_profile, cancellable, callback,
		   user_data);
}

gboolean
esim_es10_enable_profile_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_boolean (isdr, res, esim_es10_enable_profile, error);
}

static void
return_disable_profile (GTask *task, GBytes *response)
{
	GError *error = NULL;
	gboolean ok = esim_es10_parse_disable_profile (response, &error);
	es10_return_boolean (task, ok, error);
}

void
esim_es10_disable_profile (EsimIsdr *isdr, const gchar *iccid, gboolean refresh,
                           ESIM_ES10_ASYNC_ARGS)
{
	GError *error = NULL;
	g_autoptr(GBytes) request = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	log_profile_call ("DisableProfile", iccid);
	request = esim_es10_encode_disable_profile (iccid, refresh, &error);
	es10_call (isdr, "DisableProfile", request, error, return_disable_profile,
		   ESIM_ES10_VARIANT_SGP32, esim_es10_disable_profile, cancellable, callback,
		   user_data);
}

gboolean
esim_es10_disable_profile_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_boolean (isdr, res, esim_es10_disable_profile, error);
}

static void
return_delete_profile (GTask *task, GBytes *response)
{
	GError *error = NULL;
	gboolean ok = esim_es10_parse_delete_profile (response, &error);
	es10_return_boolean (task, ok, error);
}

void
esim_es10_delete_profile (EsimIsdr *isdr, const gchar *iccid, ESIM_ES10_ASYNC_ARGS)
{
	GError *error = NULL;
	g_autoptr(GBytes) request = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	log_profile_call ("DeleteProfile", iccid);
	request = esim_es10_encode_delete_profile (iccid, &error);
	es10_call (isdr, "DeleteProfile", request, error, return_delete_profile,
		   ESIM_ES10_VARIANT_SGP32, esim_es10_delete_profile, cancellable, callback,
		   user_data);
}

gboolean
esim_es10_delete_profile_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_boolean (isdr, res, esim_es10_delete_profile, error);
}

static void
return_set_nickname (GTask *task, GBytes *response)
{
	GError *error = NULL;
	gboolean ok = esim_es10_parse_set_nickname (response, &error);
	es10_return_boolean (task, ok, error);
}

void
esim_es10_set_nickname (EsimIsdr *isdr, const gchar *iccid, const gchar *nickname,
                        ESIM_ES10_ASYNC_ARGS)
{
	GError *error = NULL;
	g_autoptr(GBytes) request = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	g_return_if_fail (nickname != NULL);
	log_profile_call ("SetNickname", iccid);
	request = esim_es10_encode_set_nickname (iccid, nickname, &error);
	es10_call (isdr, "SetNickname", request, error, return_set_nickname,
		   ESIM_ES10_VARIANT_SGP32, esim_es10_set_nickname, cancellable, callback,
		   user_data);
}

gboolean
esim_es10_set_nickname_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_boolean (isdr, res, esim_es10_set_nickname, error);
}

/* ---- eUICCMemoryReset ---- */

static void
return_memory_reset (GTask *task, GBytes *response)
{
	GError *error = NULL;
	gboolean ok = esim_es10_parse_memory_reset (es10_task_variant (task), response, &error);
	es10_return_boolean (task, ok, error);
}

void
esim_es10_memory_reset (EsimIsdr *isdr, EsimEs10Variant variant, guint options,
                        ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	request = esim_es10_encode_memory_reset (variant, options);
	es10_call (isdr, "eUICCMemoryReset", request, NULL, return_memory_reset, variant,
		   esim_es10_memory_reset, cancellable, callback, user_data);
}

gboolean
esim_es10_memory_reset_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_boolean (isdr, res, esim_es10_memory_reset, error);
}

/* ---- notifications ---- */

static void
return_list_notification (GTask *task, GBytes *response)
{
	GError *error = NULL;
	GPtrArray *metas = esim_es10_parse_list_notification (response, &error);
	es10_return_pointer (task, metas, (GDestroyNotify) g_ptr_array_unref, error);
}

void
esim_es10_list_notification (EsimIsdr *isdr, guint events, ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = esim_es10_encode_list_notification (events);

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	es10_call_simple (isdr, "ListNotification", request, return_list_notification,
			  esim_es10_list_notification, cancellable, callback, user_data);
}

GPtrArray *
esim_es10_list_notification_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_pointer (isdr, res, esim_es10_list_notification, error);
}

static void
return_retrieve_notifications_list (GTask *task, GBytes *response)
{
	GError *error = NULL;
	EsimNotificationList *list = esim_es10_parse_retrieve_notifications_list (response, &error);
	es10_return_pointer (task, list, (GDestroyNotify) esim_notification_list_free, error);
}

void
esim_es10_retrieve_notifications_list (EsimIsdr *isdr, EsimNotificationSearch search, guint64 value,
				       ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = esim_es10_encode_retrieve_notifications_list (search, value);

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	es10_call_simple (isdr, "RetrieveNotificationsList", request,
			  return_retrieve_notifications_list, esim_es10_retrieve_notifications_list,
			  cancellable, callback, user_data);
}

EsimNotificationList *
esim_es10_retrieve_notifications_list_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_pointer (isdr, res, esim_es10_retrieve_notifications_list, error);
}

static void
return_remove_notification (GTask *task, GBytes *response)
{
	GError *error = NULL;
	gboolean ok = esim_es10_parse_remove_notification (response, &error);
	es10_return_boolean (task, ok, error);
}

void
esim_es10_remove_notification (EsimIsdr *isdr, guint64 seq_number, ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = esim_es10_encode_remove_notification (seq_number);

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	es10_call_simple (isdr, "RemoveNotificationFromList", request, return_remove_notification,
			  esim_es10_remove_notification, cancellable, callback, user_data);
}

gboolean
esim_es10_remove_notification_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_boolean (isdr, res, esim_es10_remove_notification, error);
}

/* ---- addresses ---- */

static void
return_configured_addresses (GTask *task, GBytes *response)
{
	GError *error = NULL;
	EsimConfiguredAddresses *a = esim_es10_parse_get_configured_addresses (response, &error);
	es10_return_pointer (task, a, (GDestroyNotify) esim_configured_addresses_free, error);
}

void
esim_es10_get_configured_addresses (EsimIsdr *isdr, ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = esim_es10_encode_get_configured_addresses ();

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	es10_call_simple (isdr, "GetEuiccConfiguredAddresses", request,
			  return_configured_addresses, esim_es10_get_configured_addresses,
			  cancellable, callback, user_data);
}

EsimConfiguredAddresses *
esim_es10_get_configured_addresses_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_pointer (isdr, res, esim_es10_get_configured_addresses, error);
}

static void
return_set_default_dp_address (GTask *task, GBytes *response)
{
	GError *error = NULL;
	gboolean ok = esim_es10_parse_set_default_dp_address (es10_task_variant (task), response,
							      &error);
	es10_return_boolean (task, ok, error);
}

void
esim_es10_set_default_dp_address (EsimIsdr *isdr, EsimEs10Variant variant, const gchar *address,
				  ESIM_ES10_ASYNC_ARGS)
{
	GError *error = NULL;
	g_autoptr(GBytes) request = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	g_return_if_fail (address != NULL);
	request = esim_es10_encode_set_default_dp_address (variant, address, &error);
	es10_call (isdr, "SetDefaultDpAddress", request, error, return_set_default_dp_address,
		   variant, esim_es10_set_default_dp_address, cancellable, callback, user_data);
}

gboolean
esim_es10_set_default_dp_address_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_boolean (isdr, res, esim_es10_set_default_dp_address, error);
}

/* ---- GetRAT, GetCerts ---- */

static void
return_get_rat (GTask *task, GBytes *response)
{
	GError *error = NULL;
	GArray *rules = esim_es10_parse_get_rat (response, &error);
	es10_return_pointer (task, rules, (GDestroyNotify) g_array_unref, error);
}

void
esim_es10_get_rat (EsimIsdr *isdr, ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = esim_es10_encode_get_rat ();

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	es10_call_simple (isdr, "GetRAT", request, return_get_rat, esim_es10_get_rat, cancellable,
			  callback, user_data);
}

GArray *
esim_es10_get_rat_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_pointer (isdr, res, esim_es10_get_rat, error);
}

static void
return_get_certs (GTask *task, GBytes *response)
{
	GError *error = NULL;
	EsimCerts *certs = esim_es10_parse_get_certs (response, &error);
	es10_return_pointer (task, certs, (GDestroyNotify) esim_certs_free, error);
}

void
esim_es10_get_certs (EsimIsdr *isdr, const gchar *ci_pkid_hex, ESIM_ES10_ASYNC_ARGS)
{
	GError *error = NULL;
	g_autoptr(GBytes) request = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	request = esim_es10_encode_get_certs (ci_pkid_hex, &error);
	es10_call (isdr, "GetCerts", request, error, return_get_certs, ESIM_ES10_VARIANT_SGP32,
		   esim_es10_get_certs, cancellable, callback, user_data);
}

EsimCerts *
esim_es10_get_certs_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_pointer (isdr, res, esim_es10_get_certs, error);
}

/* ---- eIM configuration ---- */

static void
return_get_eim_configuration_data (GTask *task, GBytes *response)
{
	GError *error = NULL;
	GPtrArray *configs = esim_es10_parse_get_eim_configuration_data (response, &error);
	es10_return_pointer (task, configs, (GDestroyNotify) g_ptr_array_unref, error);
}

void
esim_es10_get_eim_configuration_data (EsimIsdr *isdr, const gchar *eim_id, ESIM_ES10_ASYNC_ARGS)
{
	GError *error = NULL;
	g_autoptr(GBytes) request = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));

	/* the encoder cannot report errors, so check the id first:
	 * eimId is UTF8String (SIZE(1..128)) */
	if (eim_id != NULL &&
	    (!g_utf8_validate (eim_id, -1, NULL) || eim_id[0] == '\0' || strlen (eim_id) > 128)) {
		error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
					     "GetEimConfigurationData: eIM id must be 1 to 128 "
					     "bytes of UTF-8");
	} else {
		request = esim_es10_encode_get_eim_configuration_data (eim_id);
	}
	es10_call (isdr, "GetEimConfigurationData", request, error,
		   return_get_eim_configuration_data, ESIM_ES10_VARIANT_SGP32,
		   esim_es10_get_eim_configuration_data, cancellable, callback, user_data);
}

GPtrArray *
esim_es10_get_eim_configuration_data_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_pointer (isdr, res, esim_es10_get_eim_configuration_data, error);
}

static void
return_add_initial_eim (GTask *task, GBytes *response)
{
	GError *error = NULL;
	GArray *results = esim_es10_parse_add_initial_eim (response, &error);
	es10_return_pointer (task, results, (GDestroyNotify) g_array_unref, error);
}

void
esim_es10_add_initial_eim (EsimIsdr *isdr, GBytes *config_der, ESIM_ES10_ASYNC_ARGS)
{
	GError *error = NULL;
	g_autoptr(GBytes) request = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	g_return_if_fail (config_der != NULL);
	request = esim_es10_encode_add_initial_eim (config_der, &error);
	es10_call (isdr, "AddInitialEim", request, error, return_add_initial_eim,
		   ESIM_ES10_VARIANT_SGP32, esim_es10_add_initial_eim, cancellable, callback,
		   user_data);
}

GArray *
esim_es10_add_initial_eim_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return es10_finish_pointer (isdr, res, esim_es10_add_initial_eim, error);
}
