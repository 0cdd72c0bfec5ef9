/* SPDX-License-Identifier: GPL-2.0-or-later */
/* esimcli monitor: one line per change (objects added/removed, properties changed, progress,
 * daemon started/stopped) until SIGINT/SIGTERM or the -w timeout. */

#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "esimcli-output.h"

typedef struct {
	EsimcliCli *cli;
	GMainLoop *loop;
	guint timeout_id;
	gboolean running;	/* last reported state of the daemon */
} Monitor;

static void
monitor_print (const gchar *format, ...) G_GNUC_PRINTF (1, 2);

static void
monitor_print (const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *line = NULL;

	va_start (args, format);
	line = g_strdup_vprintf (format, args);
	va_end (args);
	g_print ("%s\n", line);
	/* a pipe must see every line as it happens */
	fflush (stdout);
}

/* "/org/freedesktop/Esimd1/Profile/3" → "profile 3" */
static gchar *
describe_path (const gchar *path)
{
	static const struct {
		const gchar *prefix;
		const gchar *kind;
	} kinds[] = {
		{ ESIMCLI_ROOT_PATH "/Euicc/", "euicc" },
		{ ESIMCLI_ROOT_PATH "/Profile/", "profile" },
		{ ESIMCLI_ROOT_PATH "/Eim/", "eim" },
	};

	if (g_strcmp0 (path, ESIMCLI_ROOT_PATH) == 0)
		return g_strdup ("esimd");
	for (guint i = 0; i < G_N_ELEMENTS (kinds); i++) {
		const gchar *prefix = kinds[i].prefix;

		if (g_str_has_prefix (path, prefix))
			return g_strdup_printf ("%s %s", kinds[i].kind, path + strlen (prefix));
	}
	return esimcli_sanitize (path);
}

static gchar *
property_text (GVariant *value)
{
	g_autofree gchar *text = esimcli_value_to_text (value, TRUE);

	if (*text == '\0')
		return g_strdup ("--");
	return g_steal_pointer (&text);
}

static gchar *
describe_object (Monitor *self, GDBusObject *object)
{
	EsimdGdbusObject *typed = ESIMD_GDBUS_OBJECT (object);
	EsimdGdbusEuicc *euicc = esimd_gdbus_object_peek_euicc (typed);
	EsimdGdbusProfile *profile = esimd_gdbus_object_peek_profile (typed);
	EsimdGdbusEim *eim = esimd_gdbus_object_peek_eim (typed);

	if (euicc != NULL) {
		g_autofree gchar *eid = esimcli_sanitize (esimd_gdbus_euicc_get_eid (euicc) ?: "");
		g_autofree gchar *state = esimcli_sanitize (esimd_gdbus_euicc_get_state (euicc) ?: "");
		return g_strdup_printf (_("EID %s, %s"), eid, state);
	}
	if (profile != NULL) {
		g_autofree gchar *iccid =
			esimcli_sanitize (esimd_gdbus_profile_get_iccid (profile) ?: "");
		g_autofree gchar *state =
			esimcli_sanitize (esimd_gdbus_profile_get_state (profile) ?: "");
		return g_strdup_printf (_("ICCID %s, %s"), iccid, state);
	}
	if (eim != NULL)
		return esimcli_sanitize (esimd_gdbus_eim_get_eim_id (eim) ?: "");
	return NULL;
}

static void
on_object_added (GDBusObjectManager *manager, GDBusObject *object, Monitor *self)
{
	g_autofree gchar *name = describe_path (g_dbus_object_get_object_path (object));
	g_autofree gchar *details = describe_object (self, object);

	if (details != NULL)
		monitor_print (_("%s: added (%s)"), name, details);
	else
		monitor_print (_("%s: added"), name);
}

static void
on_object_removed (GDBusObjectManager *manager, GDBusObject *object, Monitor *self)
{
	g_autofree gchar *name = describe_path (g_dbus_object_get_object_path (object));
	monitor_print (_("%s: removed"), name);
}

static void
on_properties_changed (GDBusObjectManagerClient *manager,
		       GDBusObjectProxy *object_proxy,
		       GDBusProxy *interface_proxy,
		       GVariant *changed,
		       const gchar *const *invalidated,
		       Monitor *self)
{
	g_autofree gchar *name = describe_path (g_dbus_proxy_get_object_path (interface_proxy));
	GVariantIter iter;
	const gchar *property;
	GVariant *value;

	g_variant_iter_init (&iter, changed);
	while (g_variant_iter_next (&iter, "{&sv}", &property, &value)) {
		g_autoptr(GVariant) owned = value;
		g_autofree gchar *text = property_text (owned);
		monitor_print ("%s: %s: %s", name, property, text);
	}
	for (guint i = 0; invalidated != NULL && invalidated[i] != NULL; i++)
		monitor_print (_("%s: %s: invalidated"), name, invalidated[i]);
}

static void
on_interface_signal (GDBusObjectManagerClient *manager,
		     GDBusObjectProxy *object_proxy,
		     GDBusProxy *interface_proxy,
		     const gchar *sender,
		     const gchar *signal_name,
		     GVariant *parameters,
		     Monitor *self)
{
	g_autofree gchar *name = describe_path (g_dbus_proxy_get_object_path (interface_proxy));

	if (g_strcmp0 (signal_name, "Progress") == 0 &&
	    g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(su)"))) {
		const gchar *operation = NULL;
		guint percent = 0;
		g_autofree gchar *shown = NULL;

		g_variant_get (parameters, "(&su)", &operation, &percent);
		shown = esimcli_sanitize (operation);
		monitor_print (_("%s: progress: %s %u%%"), name, shown, percent);
		return;
	}
	{
		g_autofree gchar *args = esimcli_value_to_text (parameters, TRUE);
		monitor_print (_("%s: signal %s %s"), name, signal_name, args);
	}
}

/* GDBusObjectManagerClient notifies twice on a new owner (NULL first): report changes only */
static void
on_name_owner_changed (GObject *manager, GParamSpec *pspec, Monitor *self)
{
	gboolean running = esimcli_daemon_running (self->cli);

	if (running == self->running)
		return;
	self->running = running;
	monitor_print ("%s", running ? _("esimd started") : _("esimd stopped"));
}

static gboolean
on_signal (gpointer user_data)
{
	Monitor *self = user_data;
	g_main_loop_quit (self->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout (gpointer user_data)
{
	Monitor *self = user_data;
	self->timeout_id = 0;
	g_main_loop_quit (self->loop);
	return G_SOURCE_REMOVE;
}

gboolean
esimcli_monitor (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	Monitor self = { cli, NULL, 0, FALSE };
	guint sigint_id, sigterm_id;

	if (!esimcli_expect_args (args, 0, 0, NULL, error))
		return FALSE;
	if (cli->output != ESIMCLI_OUTPUT_HUMAN || cli->terse || cli->get_values)
		return esimcli_usage_error (error, _("monitor prints human-readable lines only"));
	/* the daemon may come and go while we watch */
	if (!esimcli_connect (cli, FALSE, error))
		return FALSE;

	self.loop = g_main_loop_new (NULL, FALSE);
	g_signal_connect (cli->manager, "object-added", G_CALLBACK (on_object_added), &self);
	g_signal_connect (cli->manager, "object-removed", G_CALLBACK (on_object_removed), &self);
	g_signal_connect (cli->manager, "interface-proxy-properties-changed",
			  G_CALLBACK (on_properties_changed), &self);
	g_signal_connect (cli->manager, "interface-proxy-signal",
			  G_CALLBACK (on_interface_signal), &self);
	g_signal_connect (cli->manager, "notify::name-owner",
			  G_CALLBACK (on_name_owner_changed), &self);
	sigint_id = g_unix_signal_add (SIGINT, on_signal, &self);
	sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &self);
	if (cli->wait_seconds > 0)
		self.timeout_id = g_timeout_add_seconds ((guint) cli->wait_seconds, on_timeout, &self);

	/* also tells a caller that every later change will be seen */
	self.running = esimcli_daemon_running (cli);
	if (self.running)
		monitor_print ("%s", _("esimd is running"));
	else
		monitor_print ("%s", _("esimd is not running"));

	g_main_loop_run (self.loop);

	g_signal_handlers_disconnect_by_data (cli->manager, &self);
	g_source_remove (sigint_id);
	g_source_remove (sigterm_id);
	if (self.timeout_id != 0)
		g_source_remove (self.timeout_id);
	g_main_loop_unref (self.loop);
	return TRUE;
}
