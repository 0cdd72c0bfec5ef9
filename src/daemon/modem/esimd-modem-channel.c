/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

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

static EsimChannel *
modem_channel_create (const EsimdModemEuicc *info, const EsimdConfig *config, GError **error)
{
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

/* ---- one modem per port ----
 *
 * Opening a QMI or MBIM port again from esimd for a second modem would fight
 * the first: an exclusive QMI open sends CTL Sync, which releases the first
 * eUICC's client.  So a port is held by the modem (Modem.Device) whose
 * channel opened it first, until its channels have closed it (a removed
 * eUICC's channel lives until it is closed; a QMI channel closes its device
 * after its end).  Ports are compared by what they are, not how they are
 * named: two names (a symbolic link, a second node) can reach one cdc-wdm
 * device. */

typedef struct {
	gchar     *uid;         /* Modem.Device of the modem holding the port */
	gchar     *modem_path;  /* its object path, as the watcher last reported it */
	guint      n_channels;
	GPtrArray *refused;     /* EsimdModemEuicc* of other modems turned away */
} PortClaim;

static GHashTable             *port_claims;  /* port identity -> PortClaim* */
static EsimdModemPortFreedFunc port_freed_func;
static gpointer                port_freed_data;

static void
port_claim_free (PortClaim *claim)
{
	g_free (claim->uid);
	g_free (claim->modem_path);
	g_ptr_array_unref (claim->refused);
	g_free (claim);
}

/* The device number of a device node (whatever name reached it), else the
 * real path. */
static gchar *
port_identity (const gchar *port)
{
	struct stat st;
	char *real;
	gchar *identity;

	if (stat (port, &st) == 0 && (S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode)))
		return g_strdup_printf ("%s %u:%u", S_ISCHR (st.st_mode) ? "char" : "block",
		                        major (st.st_rdev), minor (st.st_rdev));
	real = realpath (port, NULL);
	identity = g_strdup_printf ("path %s", real != NULL ? real : port);
	free (real);
	return identity;
}

void
esimd_modem_channel_holder_moved (const EsimdModemEuicc *info)
{
	GHashTableIter iter;
	gpointer value;

	g_return_if_fail (info != NULL);
	if (port_claims == NULL)
		return;
	g_hash_table_iter_init (&iter, port_claims);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		PortClaim *claim = value;

		if (g_strcmp0 (claim->uid, info->uid) == 0 &&
		    g_strcmp0 (claim->modem_path, info->modem_path) != 0) {
			g_free (claim->modem_path);
			claim->modem_path = g_strdup (info->modem_path);
		}
	}
}

void
esimd_modem_channel_set_port_freed_func (EsimdModemPortFreedFunc func, gpointer user_data)
{
	port_freed_func = func;
	port_freed_data = user_data;
}

static gboolean
port_freed_idle_cb (gpointer user_data)
{
	GPtrArray *refused = user_data;

	for (guint i = 0; i < refused->len && port_freed_func != NULL; i++)
		port_freed_func (g_ptr_array_index (refused, i), port_freed_data);
	return G_SOURCE_REMOVE;
}

static void
port_claim_released (gpointer user_data, GObject *where_the_token_was)
{
	g_autofree gchar *identity = user_data;
	PortClaim *claim = port_claims != NULL ? g_hash_table_lookup (port_claims, identity) : NULL;
	GPtrArray *refused;

	if (claim == NULL || --claim->n_channels > 0)
		return;
	refused = g_ptr_array_ref (claim->refused);
	g_hash_table_remove (port_claims, identity);
	if (refused->len == 0) {
		g_ptr_array_unref (refused);
		return;
	}
	/* not from inside a finalize */
	g_idle_add_full (G_PRIORITY_DEFAULT, port_freed_idle_cb, refused,
	                 (GDestroyNotify) g_ptr_array_unref);
}

/* FALSE, with the reason, when another modem holds @info's port; the refusal
 * is noted for when the port is free again. */
static gboolean
port_check_free (const EsimdModemEuicc *info, const gchar *identity, GError **error)
{
	PortClaim *claim = port_claims != NULL ? g_hash_table_lookup (port_claims, identity) : NULL;

	if (claim == NULL || g_strcmp0 (claim->uid, info->uid) == 0)
		return TRUE;
	for (guint i = 0; i < claim->refused->len; i++) {
		EsimdModemEuicc *old = g_ptr_array_index (claim->refused, i);

		if (g_strcmp0 (old->modem_path, info->modem_path) == 0 && old->slot == info->slot) {
			g_ptr_array_remove_index (claim->refused, i);
			break;
		}
	}
	g_ptr_array_add (claim->refused, esimd_modem_euicc_copy (info));
	g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
	             "its port %s is already in use for modem %s: a duplicate naming the same port, "
	             "ignored while that modem holds it", info->port, claim->modem_path);
	return FALSE;
}

static void
port_claim (const EsimdModemEuicc *info, gchar *identity, EsimChannel *channel)
{
	PortClaim *claim;
	GObject *token;

	if (port_claims == NULL)
		port_claims = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
		                                     (GDestroyNotify) port_claim_free);
	claim = g_hash_table_lookup (port_claims, identity);
	if (claim == NULL) {
		claim = g_new0 (PortClaim, 1);
		claim->uid = g_strdup (info->uid);
		claim->refused = g_ptr_array_new_with_free_func ((GDestroyNotify) esimd_modem_euicc_free);
		g_hash_table_insert (port_claims, g_strdup (identity), claim);
	}
	g_free (claim->modem_path);
	claim->modem_path = g_strdup (info->modem_path);
	claim->n_channels++;
	/* released when the port is closed: a QMI channel closes it in the
	 * background after its end, others with their end */
	token = g_object_new (G_TYPE_OBJECT, NULL);
	g_object_weak_ref (token, port_claim_released, identity);
#ifdef WITH_QMI
	if (ESIM_IS_CHANNEL_QMI (channel)) {
		esim_channel_qmi_hold_while_open (ESIM_CHANNEL_QMI (channel), token);
		g_object_unref (token);
		return;
	}
#endif
	g_object_set_data_full (G_OBJECT (channel), "esimd-port-claim", token, g_object_unref);
}

EsimChannel *
esimd_modem_channel_new (const EsimdModemEuicc *info, const EsimdConfig *config, GError **error)
{
	g_autofree gchar *identity = NULL;
	EsimChannel *channel;

	g_return_val_if_fail (info != NULL, NULL);
	g_return_val_if_fail (config != NULL, NULL);

	if (!esimd_modem_channel_supported (info->transport, error))
		return NULL;
	/* AT ports are opened per access, with the modem inhibited */
	if (g_strcmp0 (info->transport, "at") == 0)
		return modem_channel_create (info, config, error);
	identity = port_identity (info->port);
	if (!port_check_free (info, identity, error))
		return NULL;
	channel = modem_channel_create (info, config, error);
	if (channel != NULL)
		port_claim (info, g_steal_pointer (&identity), channel);
	return channel;
}
