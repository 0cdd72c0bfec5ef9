/* SPDX-License-Identifier: GPL-2.0-or-later */

#include "esimd-modem-channel.h"

/* WITH_QMI, WITH_MBIM: set by meson for the backends this build has */
#ifdef WITH_QMI
#include "esim-channel-qmi.h"
#endif
#ifdef WITH_MBIM
#include "esim-channel-mbim.h"
#include "esim-mbim-quirks.h"
#endif
#include "esim-channel-at.h"

gboolean
esimd_modem_channel_supported (const gchar *transport, GError **error)
{
#ifdef WITH_QMI
	if (g_strcmp0 (transport, "qmi") == 0)
		return TRUE;
#endif
#ifdef WITH_MBIM
	if (g_strcmp0 (transport, "mbim") == 0)
		return TRUE;
#endif
	if (g_strcmp0 (transport, "at") == 0)
		return TRUE;
	g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
	             "esimd was built without %s support", transport);
	return FALSE;
}

#ifdef WITH_MBIM
/* The modem's entry of mbim-quirks.conf; the defaults when there is none or the file is bad. */
static void
modem_channel_mbim_quirks (const EsimdModemEuicc *info, EsimMbimQuirks *quirks)
{
	g_autoptr(GKeyFile) file = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;

	esim_mbim_quirks_init (quirks);
	file = esim_mbim_quirks_load_default_file (&error);
	if (file == NULL) {
		if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_warning ("MBIM quirks: %s", error->message);
		return;
	}
	if (!esim_mbim_quirks_load (quirks, file, info->vid, info->pid, info->model, &error)) {
		g_warning ("MBIM quirks: %s: using the defaults", error->message);
		return;
	}
	text = esim_mbim_quirks_to_string (quirks);
	g_debug ("MBIM quirks for %04x:%04x \"%s\": %s", info->vid, info->pid,
	         info->model != NULL ? info->model : "", text);
}
#endif

EsimChannel *
esimd_modem_channel_new (const EsimdModemEuicc *info, const EsimdConfig *config, GError **error)
{
	g_return_val_if_fail (info != NULL, NULL);
	g_return_val_if_fail (config != NULL, NULL);

	if (!esimd_modem_channel_supported (info->transport, error))
		return NULL;
#ifdef WITH_QMI
	if (g_strcmp0 (info->transport, "qmi") == 0)
		return ESIM_CHANNEL (esim_channel_qmi_new (info->port, info->slot,
		                                           config->modem_use_proxy ?
		                                           ESIM_CHANNEL_QMI_FLAGS_PROXY :
		                                           ESIM_CHANNEL_QMI_FLAGS_NONE));
#endif
#ifdef WITH_MBIM
	if (g_strcmp0 (info->transport, "mbim") == 0) {
		EsimMbimQuirks quirks;

		modem_channel_mbim_quirks (info, &quirks);
		return ESIM_CHANNEL (esim_channel_mbim_new (info->port, info->slot, &quirks,
		                                            config->modem_use_proxy ?
		                                            ESIM_CHANNEL_MBIM_FLAGS_PROXY :
		                                            ESIM_CHANNEL_MBIM_FLAGS_NONE));
	}
#endif
	if (g_strcmp0 (info->transport, "at") == 0)
		return ESIM_CHANNEL (esim_channel_at_new (info->port));
	g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
	             "no %s channel backend", info->transport);
	return NULL;
}
