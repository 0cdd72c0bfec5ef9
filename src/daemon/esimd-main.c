/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimd: command line, configuration, bus connection, start-up order and
 * signals.  The name org.freedesktop.Esimd1 is owned only after every eUICC
 * has been probed, so a client that sees the name sees complete objects.
 */

#include <string.h>
#include <locale.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#ifdef WITH_QMI
#include <libqmi-glib.h>
#endif
#ifdef WITH_MBIM
#include <libmbim-glib.h>
#endif

#include "esim-util.h"
#include "esimd-config.h"
#include "esimd-log.h"
#include "esimd-manager.h"
#include "esimd-store.h"

#define ESIMD_EXIT_OK      0
#define ESIMD_EXIT_FAILURE 1
#define ESIMD_EXIT_USAGE   2
/* --poll-once: no eUICC with an eIM to poll */
#define ESIMD_EXIT_NO_EIM  3

/* a card that never answers must not keep esimd from stopping */
#define ESIMD_STOP_TIMEOUT_S 3

typedef struct {
	gboolean      session;
	gchar       **virtual_euiccs;
	gchar       **pcsc_readers;
	gchar        *config_file;
	gchar        *state_dir;
	gboolean      debug;
	gboolean      log_personal_info;
	gboolean      poll_once;
	gboolean      version;
} EsimdOptions;

typedef struct {
	GMainLoop       *loop;
	gint             exit_status;
	GDBusConnection *connection;
	EsimdConfig     *config;
	EsimdStore      *store;
	EsimdManager    *manager;
	guint            owner_id;
	gboolean         stopping;
	guint            stop_timeout_id;
	gboolean         poll_once;
} EsimdDaemon;

static void
esimd_options_clear (EsimdOptions *options)
{
	g_strfreev (options->virtual_euiccs);
	g_strfreev (options->pcsc_readers);
	g_free (options->config_file);
	g_free (options->state_dir);
}

/* Parses the command line; returns an exit status >= 0 when esimd must stop now. */
static gint
esimd_parse_options (EsimdOptions *options, gint *argc, gchar ***argv)
{
	/* translated here: the paths are not known to the catalogue */
	g_autofree gchar *state_dir_help =
		g_strdup_printf (_("Keep persistent state in DIR (default: %s; with --session: %s)"),
		                 ESIMD_STATE_DIR, "$XDG_STATE_HOME/esimd");
	const GOptionEntry entries[] = {
		{ "session", 0, 0, G_OPTION_ARG_NONE, &options->session,
		  N_("Use the session bus instead of the system bus"), NULL },
		{ "virtual-euicc", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &options->virtual_euiccs,
		  N_("Attach a software eUICC kept in FILE (created when missing)"), N_("FILE") },
		{ "pcsc-reader", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->pcsc_readers,
		  N_("Attach the eUICC in the PC/SC reader NAME"), N_("NAME") },
		{ "config", 0, 0, G_OPTION_ARG_FILENAME, &options->config_file,
		  N_("Read the configuration from FILE"), N_("FILE") },
		{ "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &options->state_dir,
		  state_dir_help, N_("DIR") },
		{ "debug", 0, 0, G_OPTION_ARG_NONE, &options->debug,
		  N_("Log debug messages"), NULL },
		{ "log-personal-info", 0, 0, G_OPTION_ARG_NONE, &options->log_personal_info,
		  N_("Show EIDs and ICCIDs unmasked in the log"), NULL },
		{ "poll-once", 0, 0, G_OPTION_ARG_NONE, &options->poll_once,
		  N_("Poll every eIM of every eUICC once, then exit (0: all polls worked, 1: one "
		     "failed, 2: bad usage or configuration, 3: no eUICC with an eIM)"), NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &options->version,
		  N_("Print the version and exit"), NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) context = g_option_context_new (NULL);
	g_autoptr(GError) error = NULL;

	g_option_context_set_summary (context, _("SGP.32 eSIM IoT Profile Assistant daemon"));
	g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
	if (!g_option_context_parse (context, argc, argv, &error)) {
		g_printerr ("esimd: %s\n%s\n", error->message,
		            _("Run “esimd --help” to see the options."));
		return ESIMD_EXIT_USAGE;
	}
	if (*argc > 1) {
		g_printerr ("esimd: %s “%s”\n%s\n", _("unexpected argument"), (*argv)[1],
		            _("Run “esimd --help” to see the options."));
		return ESIMD_EXIT_USAGE;
	}
	if (options->version) {
		g_print ("esimd %s\n", PACKAGE_VERSION);
		return ESIMD_EXIT_OK;
	}
#ifndef WITH_PCSC
	if (options->pcsc_readers != NULL) {
		g_printerr ("esimd: --pcsc-reader: %s\n", _("built without PC/SC support"));
		return ESIMD_EXIT_USAGE;
	}
#endif
	return -1;
}

/* ---- shutdown ---- */

static gboolean
esimd_stop_timeout_cb (gpointer user_data)
{
	EsimdDaemon *daemon = user_data;

	g_warning ("eUICC channels did not close within %u s", (guint) ESIMD_STOP_TIMEOUT_S);
	daemon->stop_timeout_id = 0;
	g_main_loop_quit (daemon->loop);
	return G_SOURCE_REMOVE;
}

static void
esimd_stopped_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdDaemon *daemon = user_data;
	g_autoptr(GError) error = NULL;

	if (!esimd_manager_stop_finish (ESIMD_MANAGER (source), res, &error))
		g_debug ("stopping: %s", error->message);
	g_main_loop_quit (daemon->loop);
}

static void
esimd_stop (EsimdDaemon *daemon, gint exit_status)
{
	if (daemon->stopping)
		return;
	daemon->stopping = TRUE;
	daemon->exit_status = exit_status;
	daemon->stop_timeout_id = g_timeout_add_seconds (ESIMD_STOP_TIMEOUT_S, esimd_stop_timeout_cb,
	                                                 daemon);
	esimd_manager_stop_async (daemon->manager, esimd_stopped_cb, daemon);
}

static gboolean
esimd_signal_cb (gpointer user_data)
{
	EsimdDaemon *daemon = user_data;

	g_message ("stopping on signal");
	esimd_stop (daemon, ESIMD_EXIT_OK);
	return G_SOURCE_CONTINUE;
}

/* ---- bus name ---- */

static void
esimd_name_acquired_cb (GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	EsimdDaemon *daemon = user_data;

	g_message ("ready on %s with %u eUICC(s)", name, esimd_manager_get_n_euiccs (daemon->manager));
}

static void
esimd_name_lost_cb (GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	EsimdDaemon *daemon = user_data;

	if (connection == NULL || g_dbus_connection_is_closed (connection))
		g_warning ("the bus connection is gone: stopping");
	else
		g_warning ("could not own or lost the name %s: stopping", name);
	esimd_stop (daemon, ESIMD_EXIT_FAILURE);
}

/* --poll-once: every poll ended (the channels are closed by each poll and the stop). */
static void
esimd_polled_once_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdDaemon *daemon = user_data;
	g_autoptr(GError) error = NULL;
	guint polled = 0, failed = 0;

	if (esimd_manager_poll_all_finish (ESIMD_MANAGER (source), res, &polled, &failed, &error)) {
		g_message ("polled the eIMs of %u eUICC(s)", polled);
		esimd_stop (daemon, ESIMD_EXIT_OK);
	} else if (polled == 0) {
		g_warning ("nothing to poll: %s", error->message);
		esimd_stop (daemon, ESIMD_EXIT_NO_EIM);
	} else {
		g_warning ("the poll of %u of %u eUICC(s) failed: %s", failed, polled, error->message);
		esimd_stop (daemon, ESIMD_EXIT_FAILURE);
	}
}

static void
esimd_started_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdDaemon *daemon = user_data;
	g_autoptr(GError) error = NULL;

	if (!esimd_manager_start_finish (ESIMD_MANAGER (source), res, &error)) {
		g_warning ("cannot export the bus objects: %s", error->message);
		esimd_stop (daemon, ESIMD_EXIT_FAILURE);
		return;
	}
	if (daemon->stopping)
		return;
	/* one cycle and out: the service, if one runs, keeps its name */
	if (daemon->poll_once) {
		esimd_manager_poll_all_async (daemon->manager, esimd_polled_once_cb, daemon);
		return;
	}
	daemon->owner_id = g_bus_own_name_on_connection (daemon->connection, ESIMD_BUS_NAME,
	                                                 G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
	                                                 esimd_name_acquired_cb, esimd_name_lost_cb,
	                                                 daemon, NULL);
}

/* ---- configuration ---- */

/* libqmi and libmbim trace every message as raw bytes too, and APDUs in
 * them carry EIDs and ICCIDs that their personal-info switch cannot hide
 * (it only masks decoded fields): their traces come with debug logging only
 * when personal-info logging is on as well. */
static void
esimd_setup_library_traces (const EsimdConfig *config)
{
	gboolean traces;

	if (config->log_level != ESIMD_LOG_LEVEL_DEBUG)
		return;
	traces = config->log_personal_info;
#ifdef WITH_QMI
	qmi_utils_set_show_personal_info (config->log_personal_info);
	qmi_utils_set_traces_enabled (traces);
#endif
#ifdef WITH_MBIM
	mbim_utils_set_show_personal_info (config->log_personal_info);
	mbim_utils_set_traces_enabled (traces);
#endif
	if (!traces)
		g_debug ("QMI and MBIM message traces are off: they would show EIDs and ICCIDs "
		         "(--log-personal-info turns them on)");
}

static gboolean
esimd_load_config (EsimdDaemon *daemon, const EsimdOptions *options, GError **error)
{
	const gchar *config_dir = g_getenv ("ESIMD_CONFIG_DIR");

	/* tests point ESIMD_CONFIG_DIR elsewhere so they never read the installed directory */
	if (config_dir == NULL || config_dir[0] == '\0')
		config_dir = ESIMD_CONFIG_DIR;
	daemon->config = esimd_config_new ();
	if (!esimd_config_load (daemon->config, options->config_file, config_dir, error))
		return FALSE;
	if (options->debug)
		daemon->config->log_level = ESIMD_LOG_LEVEL_DEBUG;
	if (options->log_personal_info)
		daemon->config->log_personal_info = TRUE;
	/* one cycle, no schedule */
	daemon->config->eim_poll_automatic = !options->poll_once;
	esimd_log_set_level (daemon->config->log_level);
	esim_log_set_personal_info (daemon->config->log_personal_info);
	esimd_setup_library_traces (daemon->config);
	return TRUE;
}

/* The state directory: --state-dir, else the one systemd made for the unit
 * (StateDirectory=, given as $STATE_DIRECTORY), else the system's, or with --session the
 * user's own ($XDG_STATE_HOME/esimd, ~/.local/state/esimd by default), which a developer
 * can write. */
static gboolean
esimd_open_state (EsimdDaemon *daemon, const EsimdOptions *options, GError **error)
{
	const gchar *from_systemd = g_getenv ("STATE_DIRECTORY");
	g_autofree gchar *dir = NULL;

	if (options->state_dir != NULL)
		dir = g_canonicalize_filename (options->state_dir, NULL);
	else if (options->session)
		dir = g_build_filename (g_get_user_state_dir (), "esimd", NULL);
	/* systemd may list several, separated by ':'; the unit names one */
	else if (from_systemd != NULL && g_path_is_absolute (from_systemd) &&
		 strchr (from_systemd, ':') == NULL)
		dir = g_strdup (from_systemd);
	else
		dir = g_strdup (ESIMD_STATE_DIR);
	daemon->store = esimd_store_open (dir, error);
	if (daemon->store == NULL) {
		g_prefix_error (error, "state directory %s: ", dir);
		return FALSE;
	}
	g_debug ("state directory %s", dir);
	return TRUE;
}

/* Modems unless the configuration says no, or the command line names the eUICCs. */
static gboolean
esimd_modems_wanted (const EsimdConfig *config, const EsimdOptions *options)
{
	switch (config->modem_enabled) {
	case ESIMD_MODEM_ENABLED_YES:
		return TRUE;
	case ESIMD_MODEM_ENABLED_NO:
		g_message ("modems are not used: [modem] Enabled=false");
		return FALSE;
	case ESIMD_MODEM_ENABLED_AUTO:
	default:
		if (options->virtual_euiccs == NULL && options->pcsc_readers == NULL)
			return TRUE;
		g_debug ("modems are not used: the command line names the eUICCs");
		return FALSE;
	}
}

static void
esimd_add_euiccs (EsimdDaemon *daemon, const EsimdOptions *options)
{
	const EsimdConfig *config = daemon->config;

	for (guint i = 0; i < config->virtual_files->len; i++)
		esimd_manager_add_virtual_euicc (daemon->manager,
		                                 g_ptr_array_index (config->virtual_files, i));
	for (guint i = 0; options->virtual_euiccs != NULL && options->virtual_euiccs[i] != NULL; i++)
		esimd_manager_add_virtual_euicc (daemon->manager, options->virtual_euiccs[i]);

	/* readers named on the command line replace those of the configuration */
	if (options->pcsc_readers != NULL) {
		esimd_manager_set_pcsc (daemon->manager, (const gchar *const *) options->pcsc_readers,
		                        FALSE);
	} else {
		g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
		g_auto(GStrv) readers = NULL;

		for (guint i = 0; i < config->pcsc_readers->len; i++)
			g_strv_builder_add (builder, g_ptr_array_index (config->pcsc_readers, i));
		readers = g_strv_builder_end (builder);
		esimd_manager_set_pcsc (daemon->manager, (const gchar *const *) readers,
		                        config->pcsc_auto_detect);
	}
	if (esimd_modems_wanted (config, options))
		esimd_manager_watch_modems (daemon->manager);
}

static gint
esimd_run (EsimdDaemon *daemon, const EsimdOptions *options)
{
	GBusType bus_type = options->session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM;
	g_autoptr(GDBusConnection) connection = NULL;
	g_autoptr(GError) error = NULL;
	guint sigint_id, sigterm_id;

	connection = g_bus_get_sync (bus_type, NULL, &error);
	daemon->connection = connection;
	if (connection == NULL) {
		g_warning ("cannot connect to the %s bus: %s", options->session ? "session" : "system",
		           error->message);
		return ESIMD_EXIT_FAILURE;
	}
	/* losing the bus ends in name-lost, which stops esimd with status 1 */
	g_dbus_connection_set_exit_on_close (connection, FALSE);
	if (options->session)
		g_message ("on the session bus: polkit is not consulted, every caller is allowed");
#ifndef WITH_POLKIT
	else
		g_message ("built without polkit: the bus policy decides who may call");
#endif
	daemon->manager = esimd_manager_new (connection, daemon->config, !options->session);
	esimd_manager_set_store (daemon->manager, daemon->store);
	esimd_add_euiccs (daemon, options);

	daemon->loop = g_main_loop_new (NULL, FALSE);
	sigint_id = g_unix_signal_add (SIGINT, esimd_signal_cb, daemon);
	sigterm_id = g_unix_signal_add (SIGTERM, esimd_signal_cb, daemon);
	esimd_manager_start_async (daemon->manager, NULL, esimd_started_cb, daemon);
	g_main_loop_run (daemon->loop);

	g_source_remove (sigint_id);
	g_source_remove (sigterm_id);
	if (daemon->stop_timeout_id != 0)
		g_source_remove (daemon->stop_timeout_id);
	if (daemon->owner_id != 0)
		g_bus_unown_name (daemon->owner_id);
	g_dbus_connection_flush_sync (connection, NULL, NULL);
	g_clear_object (&daemon->manager);
	g_main_loop_unref (daemon->loop);
	daemon->connection = NULL;
	return daemon->exit_status;
}

int
main (int argc, char *argv[])
{
	EsimdOptions options = { 0 };
	EsimdDaemon daemon = { 0 };
	g_autoptr(GError) error = NULL;
	gint status;

	setlocale (LC_ALL, "");
	/* ESIMD_LOCALEDIR: the catalogues of a build tree (meson devenv, tests) */
	bindtextdomain (GETTEXT_PACKAGE, g_getenv ("ESIMD_LOCALEDIR") != NULL
	                ? g_getenv ("ESIMD_LOCALEDIR") : LOCALEDIR);
	bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
	textdomain (GETTEXT_PACKAGE);

	status = esimd_parse_options (&options, &argc, &argv);
	if (status >= 0) {
		esimd_options_clear (&options);
		return status;
	}

	esimd_log_init ();
	daemon.poll_once = options.poll_once;
	if (!esimd_load_config (&daemon, &options, &error) ||
	    !esimd_open_state (&daemon, &options, &error)) {
		g_printerr ("esimd: %s\n", error->message);
		esimd_options_clear (&options);
		esimd_config_free (daemon.config);
		/* a device's timer script tells a bad setup from a failed poll */
		return options.poll_once ? ESIMD_EXIT_USAGE : ESIMD_EXIT_FAILURE;
	}
	status = esimd_run (&daemon, &options);
	esimd_store_free (daemon.store);
	esimd_config_free (daemon.config);
	esimd_options_clear (&options);
	return status;
}
