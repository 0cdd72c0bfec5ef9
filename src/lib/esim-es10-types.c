/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ES10 result types: destructors and string forms.
 */

#define G_LOG_DOMAIN "esim"

#include "esim-es10.h"

const gchar *
esim_profile_state_to_string (EsimProfileState state)
{
	if (state == ESIM_PROFILE_STATE_ENABLED)
		return "enabled";
	return "disabled";
}

const gchar *
esim_profile_class_to_string (EsimProfileClass klass)
{
	switch (klass) {
	case ESIM_PROFILE_CLASS_TEST:
		return "test";
	case ESIM_PROFILE_CLASS_PROVISIONING:
		return "provisioning";
	case ESIM_PROFILE_CLASS_OPERATIONAL:
		return "operational";
	case ESIM_PROFILE_CLASS_UNKNOWN:
	default:
		return "unknown";
	}
}

const gchar *
esim_notification_event_to_string (guint events)
{
	if (events & ESIM_NOTIFICATION_INSTALL)
		return "install";
	if (events & ESIM_NOTIFICATION_ENABLE)
		return "enable";
	if (events & ESIM_NOTIFICATION_DISABLE)
		return "disable";
	if (events & ESIM_NOTIFICATION_DELETE)
		return "delete";
	return "unknown";
}

void
esim_profile_info_free (EsimProfileInfo *info)
{
	if (info == NULL)
		return;
	g_free (info->iccid);
	g_free (info->isdp_aid);
	g_free (info->nickname);
	g_free (info->service_provider);
	g_free (info->name);
	g_clear_pointer (&info->raw, g_bytes_unref);
	g_free (info);
}

void
esim_euicc_info1_free (EsimEuiccInfo1 *info)
{
	if (info == NULL)
		return;
	g_free (info->svn);
	g_clear_pointer (&info->ci_pkids_verification, g_ptr_array_unref);
	g_clear_pointer (&info->ci_pkids_signing, g_ptr_array_unref);
	g_clear_pointer (&info->raw, g_bytes_unref);
	g_free (info);
}

void
esim_euicc_info2_free (EsimEuiccInfo2 *info)
{
	if (info == NULL)
		return;
	g_free (info->profile_version);
	g_free (info->svn);
	g_free (info->firmware_version);
	g_free (info->ts102241_version);
	g_free (info->gp_version);
	g_free (info->pp_version);
	g_free (info->sas_accreditation_number);
	g_clear_pointer (&info->ci_pkids_verification, g_ptr_array_unref);
	g_clear_pointer (&info->ci_pkids_signing, g_ptr_array_unref);
	g_clear_pointer (&info->iot_versions, g_ptr_array_unref);
	g_clear_pointer (&info->raw, g_bytes_unref);
	g_free (info);
}

void
esim_notification_metadata_free (EsimNotificationMetadata *meta)
{
	if (meta == NULL)
		return;
	g_free (meta->address);
	g_free (meta->iccid);
	g_free (meta);
}

void
esim_pending_notification_free (EsimPendingNotification *n)
{
	if (n == NULL)
		return;
	/* the metadata is embedded, so only its members are ours to free */
	g_free (n->meta.address);
	g_free (n->meta.iccid);
	g_clear_pointer (&n->raw, g_bytes_unref);
	g_free (n);
}

void
esim_notification_list_free (EsimNotificationList *list)
{
	if (list == NULL)
		return;
	g_clear_pointer (&list->notifications, g_ptr_array_unref);
	g_clear_pointer (&list->package_results, g_ptr_array_unref);
	g_free (list);
}

void
esim_configured_addresses_free (EsimConfiguredAddresses *a)
{
	if (a == NULL)
		return;
	g_free (a->default_dp_address);
	g_free (a->root_ds_address);
	g_free (a);
}

void
esim_certs_free (EsimCerts *certs)
{
	if (certs == NULL)
		return;
	g_clear_pointer (&certs->eum_certificate, g_bytes_unref);
	g_clear_pointer (&certs->euicc_certificate, g_bytes_unref);
	g_free (certs);
}

void
esim_eim_config_free (EsimEimConfig *config)
{
	if (config == NULL)
		return;
	g_free (config->eim_id);
	g_free (config->fqdn);
	g_free (config->euicc_ci_pkid);
	g_clear_pointer (&config->public_key_data, g_bytes_unref);
	g_clear_pointer (&config->trusted_tls_data, g_bytes_unref);
	g_clear_pointer (&config->public_key, g_bytes_unref);
	g_clear_pointer (&config->trusted_tls, g_bytes_unref);
	g_clear_pointer (&config->raw, g_bytes_unref);
	g_free (config);
}
