/* SPDX-License-Identifier: GPL-2.0-or-later */
/* esimcli profile download ACTIVATION_CODE [--confirmation-code CODE|-] [--enable] [--euicc EID]
 *
 * The activation code is checked here first, with the parser esimd uses
 * (src/lib/esim-activation-code.c), so that a mistyped code is a usage error
 * (exit 2) before any polkit prompt.  The confirmation code is a secret: read
 * without echo from the terminal when it is "-" (or when the activation code
 * says one is required and none was given on a terminal), from the first
 * line of standard input otherwise, and never printed.
 *
 * Progress: on a terminal, a bar with the step's name (ProgressStep); in
 * human output elsewhere, one line per step; nothing with -t, -g or -o json. */

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "esim-activation-code.h"
#include "esimcli-output.h"

#define DOWNLOAD_OPERATION "download-profile"
/* a download takes four SM-DP+ requests (each up to esimd's RequestTimeout, 60 s by
 * default), the card's work and, with --enable, a profile switch */
#define DOWNLOAD_DEFAULT_TIMEOUT_SECONDS 600
#define CONFIRMATION_CODE_MAX_BYTES 64
#define BAR_WIDTH 24

/* ---- the confirmation code ---- */

static struct termios saved_termios;
static gboolean termios_changed;

static void
restore_echo (void)
{
	if (termios_changed)
		tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved_termios);
	termios_changed = FALSE;
}

/* Ctrl-C at the prompt: the terminal gets its echo back, then we die of the signal. */
static void
restore_echo_and_die (int signum)
{
	restore_echo ();
	signal (signum, SIG_DFL);
	raise (signum);
}

static gboolean
check_confirmation_code (const gchar *code, GError **error)
{
	if (*code == '\0')
		return esimcli_usage_error (error, _("the confirmation code is empty"));
	if (strlen (code) > CONFIRMATION_CODE_MAX_BYTES)
		return esimcli_usage_error (error, _("the confirmation code is longer than %u bytes"),
					    (guint) CONFIRMATION_CODE_MAX_BYTES);
	if (!g_utf8_validate (code, -1, NULL))
		return esimcli_usage_error (error, _("the confirmation code is not valid UTF-8"));
	return TRUE;
}

/* One line from standard input: without echo after a prompt on a terminal. */
static gchar *
read_confirmation_code (GError **error)
{
	gchar line[CONFIRMATION_CODE_MAX_BYTES + 3] = { 0 };
	gboolean tty = isatty (STDIN_FILENO);
	gboolean got;
	gsize len;

	if (tty) {
		struct termios quiet;

		if (tcgetattr (STDIN_FILENO, &saved_termios) == 0) {
			quiet = saved_termios;
			quiet.c_lflag &= ~(tcflag_t) ECHO;
			signal (SIGINT, restore_echo_and_die);
			signal (SIGTERM, restore_echo_and_die);
			termios_changed = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
		}
		/* TRANSLATORS: asked on the terminal; what is typed is not shown */
		g_printerr ("%s ", _("Confirmation code:"));
	}
	got = fgets (line, sizeof (line), stdin) != NULL;
	if (tty) {
		restore_echo ();
		signal (SIGINT, SIG_DFL);
		signal (SIGTERM, SIG_DFL);
		g_printerr ("\n");
	}
	len = strlen (line);
	if (!got || len == 0) {
		g_set_error_literal (error, ESIMCLI_ERROR, ESIMCLI_EXIT_USAGE,
				     _("no confirmation code was entered"));
		return NULL;
	}
	if (line[len - 1] != '\n' && !feof (stdin)) {
		memset (line, 0, sizeof (line));
		esimcli_usage_error (error, _("the confirmation code is longer than %u bytes"),
				     (guint) CONFIRMATION_CODE_MAX_BYTES);
		return NULL;
	}
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (!check_confirmation_code (line, error)) {
		memset (line, 0, sizeof (line));
		return NULL;
	}
	{
		gchar *code = g_strdup (line);

		memset (line, 0, sizeof (line));
		return code;
	}
}

static void
free_secret (gchar *secret)
{
	if (secret == NULL)
		return;
	memset (secret, 0, strlen (secret));
	g_free (secret);
}

/* ---- progress ---- */

typedef struct {
	EsimcliCli *cli;
	GMainLoop *loop;
	GAsyncResult *res;
	gboolean bar;		/* a bar, redrawn on the terminal */
	gboolean lines;		/* a line per step */
	gboolean bar_drawn;
	gchar *last_label;
} Download;

/* What a user reads for the daemon's step names (the stable names of
 * org.freedesktop.Esimd1.Euicc.ProgressStep). */
static const gchar *
step_label (const gchar *step)
{
	static const struct {
		const gchar *step;
		const gchar *label;
	} labels[] = {
		{ "get-euicc-challenge", N_("Reading the eUICC") },
		{ "get-euicc-info", N_("Reading the eUICC") },
		{ "initiate-authentication", N_("Contacting the SM-DP+") },
		{ "authenticate-server", N_("Authenticating") },
		{ "authenticate-client", N_("Authenticating") },
		{ "check-profile", N_("Checking the profile") },
		{ "prepare-download", N_("Preparing the download") },
		{ "get-bound-profile-package", N_("Downloading the profile") },
		{ "load-bound-profile-package", N_("Installing the profile") },
		{ "cancel-session", N_("Cancelling the download") },
		{ "refresh", N_("Reading the eUICC again") },
		{ "enable-profile", N_("Enabling the profile") },
	};

	for (guint i = 0; i < G_N_ELEMENTS (labels); i++) {
		if (g_strcmp0 (labels[i].step, step) == 0)
			return _(labels[i].label);
	}
	/* TRANSLATORS: a step of a download esimcli does not know by name */
	return _("Working");
}

static void
draw_bar (Download *d, guint percent, const gchar *label)
{
	guint filled = MIN (percent, 100) * BAR_WIDTH / 100;
	g_autoptr(GString) bar = g_string_new ("\r\033[K[");

	for (guint i = 0; i < BAR_WIDTH; i++)
		g_string_append_c (bar, i < filled ? '#' : '.');
	g_string_append_printf (bar, "] %3u%%  %s", MIN (percent, 100), label);
	g_print ("%s", bar->str);
	fflush (stdout);
	d->bar_drawn = TRUE;
}

static void
end_bar (Download *d)
{
	if (d->bar_drawn)
		g_print ("\r\033[K");
	d->bar_drawn = FALSE;
}

static void
on_progress_step (EsimdGdbusEuicc *euicc, const gchar *operation, const gchar *step,
		  guint percent, gpointer user_data)
{
	Download *d = user_data;
	const gchar *label;

	if (g_strcmp0 (operation, DOWNLOAD_OPERATION) != 0)
		return;
	label = step_label (step);
	if (d->bar)
		draw_bar (d, percent, label);
	else if (d->lines && g_strcmp0 (d->last_label, label) != 0) {
		g_print ("%3u%% %s\n", MIN (percent, 100), label);
		fflush (stdout);
	}
	g_free (d->last_label);
	d->last_label = g_strdup (label);
}

static void
download_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Download *d = user_data;

	d->res = g_object_ref (res);
	g_main_loop_quit (d->loop);
}

/* ---- the command ---- */

static const gchar *const code_arg[] = { "ACTIVATION_CODE", NULL };

/* The profile at @path, as the object manager shows it (or a proxy of its own). */
static EsimdGdbusProfile *
profile_at (EsimcliCli *cli, const gchar *path)
{
	GDBusInterface *iface = g_dbus_object_manager_get_interface (cli->manager, path,
								     "org.freedesktop.Esimd1.Profile");

	if (iface != NULL)
		return ESIMD_GDBUS_PROFILE (iface);
	return esimd_gdbus_profile_proxy_new_sync (cli->connection, G_DBUS_PROXY_FLAGS_NONE,
						   ESIMCLI_BUS_NAME, path, NULL, NULL);
}

static gboolean
print_result (EsimcliCli *cli, const gchar *path, gboolean enabled, GError **error)
{
	g_autoptr(EsimdGdbusProfile) profile = profile_at (cli, path);
	g_autoptr(EsimcliOutput) output = NULL;
	const gchar *iccid = profile != NULL ? esimd_gdbus_profile_get_iccid (profile) : NULL;

	if (cli->output == ESIMCLI_OUTPUT_HUMAN && !cli->terse && !cli->get_values) {
		if (enabled)
			g_print (_("Profile %s downloaded and enabled.\n"), iccid != NULL ? iccid : path);
		else
			g_print (_("Profile %s downloaded.\n"), iccid != NULL ? iccid : path);
		return TRUE;
	}
	/* scripts get the new profile's fields */
	output = esimcli_output_new (cli, &esimcli_profile_table, error);
	if (output == NULL)
		return FALSE;
	if (profile == NULL) {
		g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_ERROR,
			     _("the downloaded profile %s cannot be read"), path);
		return FALSE;
	}
	esimcli_output_add (output, profile);
	esimcli_output_print_show (output);
	return TRUE;
}

/* The arguments, checked before the daemon is asked anything. */
static gboolean
download_arguments (EsimcliArgs *args, gchar **confirmation_code, GError **error)
{
	const gchar *text;
	g_autoptr(EsimActivationCode) code = NULL;
	g_autoptr(GError) local = NULL;

	if (!esimcli_expect_args (args, 1, 1, code_arg, error))
		return FALSE;
	text = g_ptr_array_index (args->positional, 0);
	code = esim_activation_code_parse (text, &local);
	if (code == NULL)
		/* the parser's message names the field */
		return esimcli_usage_error (error, _("invalid activation code: %s"), local->message);
	if (g_strcmp0 (args->confirmation_code, "-") == 0 ||
	    (code->confirmation_code_required && args->confirmation_code == NULL &&
	     esimcli_stdin_is_tty ())) {
		*confirmation_code = read_confirmation_code (error);
		return *confirmation_code != NULL;
	}
	if (args->confirmation_code != NULL) {
		if (!check_confirmation_code (args->confirmation_code, error))
			return FALSE;
		*confirmation_code = g_strdup (args->confirmation_code);
	}
	return TRUE;
}

gboolean
esimcli_profile_download (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
	g_autoptr(GMainLoop) loop = NULL;
	g_autoptr(GVariant) reply = NULL;
	const gchar *path = NULL;
	gchar *confirmation_code = NULL;
	gboolean human = cli->output == ESIMCLI_OUTPUT_HUMAN && !cli->terse && !cli->get_values;
	Download d = { cli };
	gulong handler;
	gint timeout_ms;

	if (!download_arguments (args, &confirmation_code, error))
		return FALSE;
	if (!esimcli_connect (cli, TRUE, error)) {
		free_secret (confirmation_code);
		return FALSE;
	}
	euicc = esimcli_pick_euicc (cli, args->euicc, error);
	if (euicc == NULL) {
		free_secret (confirmation_code);
		return FALSE;
	}
	if (confirmation_code != NULL)
		g_variant_builder_add (options, "{sv}", "confirmation-code",
				       g_variant_new_string (confirmation_code));
	free_secret (confirmation_code);
	if (args->enable)
		g_variant_builder_add (options, "{sv}", "enable", g_variant_new_boolean (TRUE));

	d.bar = human && isatty (STDOUT_FILENO) && g_strcmp0 (g_getenv ("TERM"), "dumb") != 0;
	d.lines = human && !d.bar;
	loop = g_main_loop_new (NULL, FALSE);
	d.loop = loop;
	handler = g_signal_connect (euicc, "progress-step", G_CALLBACK (on_progress_step), &d);
	timeout_ms = cli->wait_seconds < 0 ? DOWNLOAD_DEFAULT_TIMEOUT_SECONDS * 1000 :
		     esimcli_timeout_msec (cli);
	/* the generated call takes the proxy's timeout, which is for quick calls */
	g_dbus_proxy_call (G_DBUS_PROXY (euicc), "DownloadProfile",
			   g_variant_new ("(s@a{sv})", (const gchar *) args->positional->pdata[0],
					  g_variant_builder_end (options)),
			   G_DBUS_CALL_FLAGS_NONE, timeout_ms, NULL, download_done, &d);
	g_main_loop_run (loop);
	g_signal_handler_disconnect (euicc, handler);
	end_bar (&d);
	reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (euicc), d.res, error);
	g_clear_object (&d.res);
	g_free (d.last_label);
	if (reply == NULL)
		return esimcli_convert_error (error, _("cannot download the profile"));
	g_variant_get (reply, "(&o)", &path);
	return print_result (cli, path, args->enable, error);
}
