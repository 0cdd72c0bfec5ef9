/* SPDX-License-Identifier: GPL-2.0-or-later */
/* esimcli [OPTIONS] OBJECT [COMMAND [ARGS]]: option parsing, dispatch tables with prefix
 * matching (nmcli's grammar), help at every level. */

#include <locale.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "esimcli-commands.h"

static const gchar *const output_values[] = { "human", "json", "keyvalue", NULL };
static const gchar *const color_values[] = { "auto", "yes", "no", NULL };

const EsimcliOption esimcli_options[] = {
	{ ESIMCLI_OPT_TERSE, 't', "terse", NULL, NULL, 0,
	  N_("terse output: ':'-separated values, no header") },
	{ ESIMCLI_OPT_FIELDS, 'f', "fields", "FIELDS", NULL, 0,
	  N_("comma-separated fields to print, or 'all'") },
	{ ESIMCLI_OPT_GET_VALUES, 'g', "get-values", "FIELDS", NULL, 0,
	  N_("print only the values of FIELDS (same as -t -f FIELDS)") },
	{ ESIMCLI_OPT_OUTPUT, 'o', "output", "human|json|keyvalue", output_values, 0,
	  N_("output format (default: human)") },
	{ ESIMCLI_OPT_WAIT, 'w', "wait", "SECONDS", NULL, 0,
	  N_("timeout of D-Bus calls (default: 60, 0: none); monitor exits after SECONDS") },
	{ ESIMCLI_OPT_COLOR, 'c', "color", "auto|yes|no", color_values, 0,
	  N_("colour output (auto honours NO_COLOR, TERM=dumb and terminals)") },
	/* identifiers are always printed in full now: accepted so that old scripts still run,
	 * and hidden from help and completion (no description) */
	{ ESIMCLI_OPT_SHOW_SECRETS, 's', "show-secrets", NULL, NULL, 0, NULL },
	{ ESIMCLI_OPT_SESSION, 0, "session", NULL, NULL, 0,
	  N_("talk to esimd on the session bus instead of the system bus") },
	{ ESIMCLI_OPT_VERSION, 'v', "version", NULL, NULL, 0,
	  N_("print the version of esimcli and exit") },
	{ ESIMCLI_OPT_HELP, 'h', "help", NULL, NULL, 0,
	  N_("print help and exit") },
	{ ESIMCLI_OPT_EUICC, 0, "euicc", "EID", NULL, ESIMCLI_CMD_OPT_EUICC,
	  N_("the eUICC to act on: EID, index N or object path") },
	{ ESIMCLI_OPT_YES, 'y', "yes", NULL, NULL, ESIMCLI_CMD_OPT_YES,
	  N_("do not ask for confirmation") },
	{ ESIMCLI_OPT_KEEP_TEST, 0, "keep-test-profiles", NULL, NULL, ESIMCLI_CMD_OPT_KEEP_TEST,
	  N_("keep field-loaded test profiles when resetting") },
	{ ESIMCLI_OPT_CONFIRMATION_CODE, 0, "confirmation-code", "CODE", NULL,
	  ESIMCLI_CMD_OPT_CONFIRMATION_CODE,
	  N_("the confirmation code of the activation code; '-' reads it from the terminal "
	     "without showing it (or from the first line of standard input)") },
	{ ESIMCLI_OPT_ENABLE, 0, "enable", NULL, NULL, ESIMCLI_CMD_OPT_ENABLE,
	  N_("enable the profile once it is installed") },
	{ 0, 0, NULL, NULL, NULL, 0, NULL },
};

static const EsimcliCommand general_commands[] = {
	{ "status", esimcli_general_status, "",
	  N_("show whether esimd runs, its version and how many eUICCs, profiles and "
	     "notifications it has (exit status 8 if it is not running)"),
	  0, { ESIMCLI_ARG_NONE }, TRUE },
	{ NULL, NULL, NULL, NULL, 0, { ESIMCLI_ARG_NONE }, FALSE },
};

static const EsimcliCommand euicc_commands[] = {
	{ "list", esimcli_euicc_list, "",
	  N_("list the eUICCs"), 0, { ESIMCLI_ARG_NONE }, TRUE },
	{ "show", esimcli_euicc_show, "[EID|N]",
	  N_("show every field of one eUICC (the only one if none is named)"),
	  ESIMCLI_CMD_OPT_EUICC, { ESIMCLI_ARG_EUICC }, TRUE },
	{ "reset", esimcli_euicc_reset, "[EID|N] [--yes] [--keep-test-profiles]",
	  N_("delete the operational and field-loaded test profiles and the default SM-DP+ "
	     "address; asks for confirmation on a terminal, needs --yes otherwise"),
	  ESIMCLI_CMD_OPT_EUICC | ESIMCLI_CMD_OPT_YES | ESIMCLI_CMD_OPT_KEEP_TEST,
	  { ESIMCLI_ARG_EUICC }, FALSE },
	{ NULL, NULL, NULL, NULL, 0, { ESIMCLI_ARG_NONE }, FALSE },
};

static const EsimcliCommand profile_commands[] = {
	{ "list", esimcli_profile_list, "[--euicc EID]",
	  N_("list the profiles of every eUICC, or of one; an eUICC in error is named on "
	     "stderr and the exit status is 1"),
	  ESIMCLI_CMD_OPT_EUICC, { ESIMCLI_ARG_NONE }, TRUE },
	{ "show", esimcli_profile_show, "PROFILE",
	  N_("show every field of one profile"), 0, { ESIMCLI_ARG_PROFILE }, TRUE },
	{ "enable", esimcli_profile_enable, "PROFILE",
	  N_("enable a profile (the enabled one is disabled)"), 0, { ESIMCLI_ARG_PROFILE }, FALSE },
	{ "disable", esimcli_profile_disable, "PROFILE",
	  N_("disable the enabled profile"), 0, { ESIMCLI_ARG_PROFILE }, FALSE },
	{ "delete", esimcli_profile_delete, "PROFILE",
	  N_("delete a disabled profile"), 0, { ESIMCLI_ARG_PROFILE }, FALSE },
	{ "nickname", esimcli_profile_nickname, "PROFILE NAME",
	  N_("set the nickname of a profile (an empty NAME clears it)"),
	  0, { ESIMCLI_ARG_PROFILE, ESIMCLI_ARG_TEXT }, FALSE },
	{ "download", esimcli_profile_download,
	  "ACTIVATION_CODE [--confirmation-code CODE|-] [--enable] [--euicc EID]",
	  N_("download a profile from the SM-DP+ the activation code names and install it; a "
	     "progress bar on a terminal (--euicc is needed when there are several eUICCs)"),
	  ESIMCLI_CMD_OPT_CONFIRMATION_CODE | ESIMCLI_CMD_OPT_ENABLE | ESIMCLI_CMD_OPT_EUICC,
	  { ESIMCLI_ARG_TEXT }, TRUE },
	{ NULL, NULL, NULL, NULL, 0, { ESIMCLI_ARG_NONE }, FALSE },
};

static const EsimcliCommand notification_commands[] = {
	{ "list", esimcli_notification_list, "[--euicc EID]",
	  N_("list the notifications pending on every eUICC, or on one"),
	  ESIMCLI_CMD_OPT_EUICC, { ESIMCLI_ARG_NONE }, TRUE },
	{ "process", esimcli_notification_process, "[--euicc EID]",
	  N_("send the pending notifications of every eUICC, or of one, to their servers "
	     "now and remove those accepted from the card (an eUICC with an eIM keeps them "
	     "for its eIM); exit status 1 if one could not be delivered"),
	  ESIMCLI_CMD_OPT_EUICC, { ESIMCLI_ARG_NONE }, FALSE },
	{ "remove", esimcli_notification_remove, "SEQ [--euicc EID]",
	  N_("remove a pending notification without sending it (--euicc is needed when "
	     "there are several eUICCs)"),
	  ESIMCLI_CMD_OPT_EUICC, { ESIMCLI_ARG_SEQ }, FALSE },
	{ NULL, NULL, NULL, NULL, 0, { ESIMCLI_ARG_NONE }, FALSE },
};

static const EsimcliCommand eim_commands[] = {
	{ "poll", esimcli_eim_poll, "[EIM_ID] [--euicc EID]",
	  N_("poll an eIM now (every eIM if none is named): deliver what it is owed, execute "
	     "the packages it hands out, and say what happened; exit status 1 if a poll "
	     "failed, 10 if there is no such eIM"),
	  ESIMCLI_CMD_OPT_EUICC, { ESIMCLI_ARG_TEXT }, FALSE },
	{ NULL, NULL, NULL, NULL, 0, { ESIMCLI_ARG_NONE }, FALSE },
};

static const EsimcliCommand monitor_command = {
	"monitor", esimcli_monitor, "",
	N_("print a line for every change (objects added or removed, properties changed, "
	   "progress, esimd started or stopped) until interrupted or -w SECONDS passed"),
	0, { ESIMCLI_ARG_NONE }, FALSE,
};

static const EsimcliFieldTable *const general_tables[] = { &esimcli_general_table, NULL };
static const EsimcliFieldTable *const euicc_tables[] = { &esimcli_euicc_table, NULL };
static const EsimcliFieldTable *const profile_tables[] = { &esimcli_profile_table, NULL };
static const EsimcliFieldTable *const notification_tables[] = { &esimcli_notification_table, NULL };

static const gchar profile_notes[] =
	N_("PROFILE is the profile's ICCID (18 to 20 digits), its index N (up to 9 digits:\n"
	   "the INDEX field, as in /org/freedesktop/Esimd1/Profile/N) or its nickname when no\n"
	   "other profile has it. Exit status 10 if no profile fits, 2 if several do.");

const EsimcliObject esimcli_objects[] = {
	{ "general", N_("the daemon's status"), general_commands, NULL, general_tables, NULL },
	{ "euicc", N_("eUICCs (eSIM chips)"), euicc_commands, NULL, euicc_tables, NULL },
	{ "profile", N_("profiles on the eUICCs"), profile_commands, NULL, profile_tables,
	  profile_notes },
	{ "notification", N_("notifications pending on the eUICCs"), notification_commands, NULL,
	  notification_tables, NULL },
	{ "eim", N_("eIMs (remote managers) of the eUICCs"), eim_commands, NULL, NULL, NULL },
	{ "monitor", N_("watch changes as they happen"), NULL, &monitor_command, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

const EsimcliOption *
esimcli_option_by_long (const gchar *name, gsize len)
{
	for (guint i = 0; esimcli_options[i].long_name != NULL; i++) {
		if (strlen (esimcli_options[i].long_name) == len &&
		    strncmp (esimcli_options[i].long_name, name, len) == 0)
			return &esimcli_options[i];
	}
	return NULL;
}

const EsimcliOption *
esimcli_option_by_short (gchar name)
{
	for (guint i = 0; esimcli_options[i].long_name != NULL; i++) {
		if (esimcli_options[i].short_name != 0 && esimcli_options[i].short_name == name)
			return &esimcli_options[i];
	}
	return NULL;
}

gint
esimcli_match_name (const gchar *word, const gchar *const *names, const gchar *what,
		    GError **error)
{
	g_autoptr(GPtrArray) matches = g_ptr_array_new ();
	gint found = -1;

	for (gint i = 0; names[i] != NULL; i++) {
		if (g_strcmp0 (names[i], word) == 0)
			return i;
		if (*word != '\0' && g_str_has_prefix (names[i], word)) {
			g_ptr_array_add (matches, (gpointer) names[i]);
			found = i;
		}
	}
	if (matches->len == 1)
		return found;
	if (matches->len == 0) {
		/* TRANSLATORS: the first %s is "object" or "command" */
		esimcli_usage_error (error, _("unknown %s '%s'"), what, word);
		return -1;
	}
	g_ptr_array_add (matches, NULL);
	{
		g_autofree gchar *list = g_strjoinv (", ", (gchar **) matches->pdata);
		esimcli_usage_error (error, _("'%s' is ambiguous (%s)"), word, list);
	}
	return -1;
}

gboolean
esimcli_find_object (const gchar *word, const EsimcliObject **object, GError **error)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new ();
	gint index;

	for (guint i = 0; esimcli_objects[i].name != NULL; i++)
		g_ptr_array_add (names, (gpointer) esimcli_objects[i].name);
	g_ptr_array_add (names, (gpointer) "help");
	g_ptr_array_add (names, NULL);
	index = esimcli_match_name (word, (const gchar *const *) names->pdata, _("object"), error);
	if (index < 0)
		return FALSE;
	*object = esimcli_objects[index].name != NULL ? &esimcli_objects[index] : NULL;
	return TRUE;
}

gboolean
esimcli_find_command (const EsimcliObject *object, const gchar *word,
		      const EsimcliCommand **command, GError **error)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new ();
	gint index;

	for (guint i = 0; object->commands[i].name != NULL; i++)
		g_ptr_array_add (names, (gpointer) object->commands[i].name);
	g_ptr_array_add (names, (gpointer) "help");
	g_ptr_array_add (names, NULL);
	index = esimcli_match_name (word, (const gchar *const *) names->pdata, _("command"), error);
	if (index < 0)
		return FALSE;
	*command = object->commands[index].name != NULL ? &object->commands[index] : NULL;
	return TRUE;
}

gboolean
esimcli_apply_option (EsimcliCli *cli, EsimcliArgs *args, const EsimcliOption *option,
		      const gchar *value, GError **error)
{
	guint64 seconds = 0;

	switch (option->id) {
	case ESIMCLI_OPT_TERSE:
		cli->terse = TRUE;
		break;
	case ESIMCLI_OPT_GET_VALUES:
		cli->get_values = TRUE;
		cli->terse = TRUE;
		/* fall through */
	case ESIMCLI_OPT_FIELDS:
		g_free (cli->fields);
		cli->fields = g_strdup (value);
		break;
	case ESIMCLI_OPT_OUTPUT:
		if (g_ascii_strcasecmp (value, "human") == 0)
			cli->output = ESIMCLI_OUTPUT_HUMAN;
		else if (g_ascii_strcasecmp (value, "json") == 0)
			cli->output = ESIMCLI_OUTPUT_JSON;
		else if (g_ascii_strcasecmp (value, "keyvalue") == 0)
			cli->output = ESIMCLI_OUTPUT_KEYVALUE;
		else
			return esimcli_usage_error (error, _("invalid output format '%s' (human, json, "
							     "keyvalue)"), value);
		break;
	case ESIMCLI_OPT_WAIT:
		if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT / 1000, &seconds, NULL))
			return esimcli_usage_error (error, _("invalid number of seconds '%s'"), value);
		cli->wait_seconds = (gint) seconds;
		break;
	case ESIMCLI_OPT_COLOR:
		if (g_ascii_strcasecmp (value, "auto") == 0)
			cli->color_mode = ESIMCLI_COLOR_AUTO;
		else if (g_ascii_strcasecmp (value, "yes") == 0 ||
			 g_ascii_strcasecmp (value, "always") == 0)
			cli->color_mode = ESIMCLI_COLOR_YES;
		else if (g_ascii_strcasecmp (value, "no") == 0 ||
			 g_ascii_strcasecmp (value, "never") == 0)
			cli->color_mode = ESIMCLI_COLOR_NO;
		else
			return esimcli_usage_error (error, _("invalid colour mode '%s' (auto, yes, "
							     "no)"), value);
		break;
	case ESIMCLI_OPT_SESSION:
		cli->session = TRUE;
		break;
	case ESIMCLI_OPT_EUICC:
		g_free (args->euicc);
		args->euicc = g_strdup (value);
		break;
	case ESIMCLI_OPT_YES:
		args->yes = TRUE;
		break;
	case ESIMCLI_OPT_KEEP_TEST:
		args->keep_test_profiles = TRUE;
		break;
	case ESIMCLI_OPT_CONFIRMATION_CODE:
		if (args->confirmation_code != NULL)
			memset (args->confirmation_code, 0, strlen (args->confirmation_code));
		g_free (args->confirmation_code);
		args->confirmation_code = g_strdup (value);
		break;
	case ESIMCLI_OPT_ENABLE:
		args->enable = TRUE;
		break;
	case ESIMCLI_OPT_SHOW_SECRETS:
	case ESIMCLI_OPT_VERSION:
	case ESIMCLI_OPT_HELP:
	default:
		break;
	}
	return TRUE;
}

typedef struct {
	EsimcliCli *cli;
	EsimcliArgs *args;
	gboolean help;
	gboolean version;
	EsimcliCommandOptions command_options;	/* command options given */
	GPtrArray *words;			/* positional words, borrowed from argv */
} ParseState;

static gboolean
take_option (ParseState *state, const EsimcliOption *option, const gchar *value, GError **error)
{
	if (option->id == ESIMCLI_OPT_HELP)
		state->help = TRUE;
	else if (option->id == ESIMCLI_OPT_VERSION)
		state->version = TRUE;
	state->command_options |= option->command_flag;
	return esimcli_apply_option (state->cli, state->args, option, value, error);
}

/* "--name", "--name=value", "--name value" */
static gboolean
parse_long_option (ParseState *state, gint argc, gchar **argv, gint *idx, GError **error)
{
	const gchar *arg = argv[*idx] + 2;
	const gchar *equals = strchr (arg, '=');
	gsize len = equals != NULL ? (gsize) (equals - arg) : strlen (arg);
	const EsimcliOption *option = esimcli_option_by_long (arg, len);
	const gchar *value = NULL;

	if (option == NULL)
		return esimcli_usage_error (error, _("unknown option '%s'"), argv[*idx]);
	if (option->arg_name == NULL) {
		if (equals != NULL)
			return esimcli_usage_error (error, _("option --%s takes no value"),
						    option->long_name);
	} else if (equals != NULL) {
		value = equals + 1;
	} else if (*idx + 1 < argc) {
		value = argv[++(*idx)];
	} else {
		return esimcli_usage_error (error, _("missing value %s of option --%s"),
					    option->arg_name, option->long_name);
	}
	return take_option (state, option, value, error);
}

/* "-t", "-ts" (several flags), "-fICCID", "-f ICCID" */
static gboolean
parse_short_options (ParseState *state, gint argc, gchar **argv, gint *idx, GError **error)
{
	const gchar *arg = argv[*idx];

	for (const gchar *p = arg + 1; *p != '\0'; p++) {
		const EsimcliOption *option = esimcli_option_by_short (*p);
		const gchar *value = NULL;

		if (option == NULL)
			return esimcli_usage_error (error, _("unknown option '-%c'"), *p);
		if (option->arg_name != NULL) {
			if (p[1] != '\0')
				value = p + 1;
			else if (*idx + 1 < argc)
				value = argv[++(*idx)];
			else
				return esimcli_usage_error (error, _("missing value %s of option -%c"),
							    option->arg_name, *p);
			return take_option (state, option, value, error);
		}
		if (!take_option (state, option, NULL, error))
			return FALSE;
	}
	return TRUE;
}

/* Options may appear anywhere before "--"; everything else is a positional word. */
static gboolean
parse_command_line (ParseState *state, gint argc, gchar **argv, GError **error)
{
	gboolean options_done = FALSE;

	for (gint idx = 1; idx < argc; idx++) {
		const gchar *arg = argv[idx];

		if (options_done || arg[0] != '-' || arg[1] == '\0') {
			g_ptr_array_add (state->words, (gpointer) arg);
		} else if (g_strcmp0 (arg, "--") == 0) {
			options_done = TRUE;
		} else if (arg[1] == '-') {
			if (!parse_long_option (state, argc, argv, &idx, error))
				return FALSE;
		} else {
			if (!parse_short_options (state, argc, argv, &idx, error))
				return FALSE;
		}
	}
	return TRUE;
}

/* global options if @command_options is 0, else the command options in that set */
static void
print_option_list (EsimcliCommandOptions command_options)
{
	for (guint i = 0; esimcli_options[i].long_name != NULL; i++) {
		const EsimcliOption *option = &esimcli_options[i];
		g_autofree gchar *names = NULL;

		if (command_options == 0 ? option->command_flag != 0
					 : (option->command_flag & command_options) == 0)
			continue;
		if (option->description == NULL)
			continue;
		if (option->short_name != 0)
			names = g_strdup_printf ("-%c, --%s", option->short_name, option->long_name);
		else
			names = g_strdup_printf ("    --%s", option->long_name);
		if (option->arg_name != NULL) {
			g_autofree gchar *with_arg = g_strdup_printf ("%s %s", names, option->arg_name);
			g_print ("  %-36s %s\n", with_arg, _(option->description));
		} else {
			g_print ("  %-36s %s\n", names, _(option->description));
		}
	}
}

static void
print_main_help (void)
{
	g_print ("%s\n\n", _("Usage: esimcli [OPTIONS] OBJECT [COMMAND [ARGUMENTS]]"));
	g_print ("%s\n\n", _("esimcli controls esimd, the eSIM IoT Profile Assistant, over D-Bus."));
	g_print ("%s\n", _("Objects (any unambiguous prefix works, e.g. 'esimcli prof l'):"));
	for (guint i = 0; esimcli_objects[i].name != NULL; i++)
		g_print ("  %-14s %s\n", esimcli_objects[i].name, _(esimcli_objects[i].summary));
	g_print ("  %-14s %s\n", "help", _("this help"));
	g_print ("\n%s\n", _("Options (before or after the object; '--' ends them):"));
	print_option_list (0);
	g_print ("\n%s\n", _("Exit status:"));
	g_print ("  0   %s\n", _("success"));
	g_print ("  1   %s\n", _("error"));
	g_print ("  2   %s\n", _("bad usage: unknown object, command, option or field, missing or "
				 "malformed argument"));
	g_print ("  3   %s\n", _("timeout"));
	g_print ("  8   %s\n", _("esimd is not running"));
	g_print ("  10  %s\n", _("not found: unknown eUICC, profile or sequence number"));
	g_print ("\n%s\n", _("Run 'esimcli OBJECT help' for the commands of an object and "
			     "'man esimcli' for more."));
}

static void
print_fields_help (const EsimcliObject *object)
{
	for (guint t = 0; object->tables != NULL && object->tables[t] != NULL; t++) {
		const EsimcliFieldTable *table = object->tables[t];
		g_auto(GStrv) names = esimcli_field_names (table);
		g_autofree gchar *list = g_strjoinv (" ", names);

		g_print ("\n%s %s\n", _("Fields (-f, -g):"), list);
		if (object->commands != NULL && g_strcmp0 (object->name, "general") != 0)
			g_print ("%s %s\n", _("Listed by default:"), table->default_fields);
	}
}

static void
print_command_usage (const EsimcliObject *object, const EsimcliCommand *command)
{
	const gchar *space = *command->synopsis != '\0' ? " " : "";

	if (object->commands == NULL)
		g_print ("  esimcli %s%s%s\n", object->name, space, command->synopsis);
	else
		g_print ("  esimcli %s %s%s%s\n", object->name, command->name, space,
			 command->synopsis);
	g_print ("      %s\n", _(command->summary));
}

static void
print_object_help (const EsimcliObject *object)
{
	EsimcliCommandOptions command_options = 0;

	g_print (_("Usage: esimcli [OPTIONS] %s"), object->name);
	if (object->commands != NULL)
		g_print (" { %s | help }", _("COMMAND"));
	else
		g_print (" [help]");
	g_print ("\n\n%s: %s\n\n", object->name, _(object->summary));
	if (object->commands != NULL) {
		g_print ("%s\n", _("Commands (the first one is the default):"));
		for (guint i = 0; object->commands[i].name != NULL; i++)
			print_command_usage (object, &object->commands[i]);
	} else {
		print_command_usage (object, object->direct);
	}
	if (object->notes != NULL)
		g_print ("\n%s\n", _(object->notes));
	print_fields_help (object);
	for (guint i = 0; object->commands != NULL && object->commands[i].name != NULL; i++)
		command_options |= object->commands[i].options;
	if (command_options != 0) {
		g_print ("\n%s\n", _("Command options:"));
		print_option_list (command_options);
	}
}

static void
print_command_help (const EsimcliObject *object, const EsimcliCommand *command)
{
	g_print ("%s\n", _("Usage:"));
	print_command_usage (object, command);
	if (object->notes != NULL && command->args[0] == ESIMCLI_ARG_PROFILE)
		g_print ("\n%s\n", _(object->notes));
	if (command->options != 0) {
		g_print ("\n%s\n", _("Options:"));
		print_option_list (command->options);
	}
	if (command->prints_fields)
		print_fields_help (object);
}

/* esimcli help [OBJECT [COMMAND]] */
static gboolean
run_help (EsimcliCli *cli, GPtrArray *words, guint first, GError **error)
{
	const EsimcliObject *object = NULL;
	const EsimcliCommand *command = NULL;

	if (words->len <= first) {
		print_main_help ();
		return TRUE;
	}
	if (!esimcli_find_object (g_ptr_array_index (words, first), &object, error))
		return FALSE;
	if (object == NULL) {
		print_main_help ();
		return TRUE;
	}
	cli->object_name = object->name;
	if (words->len <= first + 1 || object->commands == NULL) {
		print_object_help (object);
		return TRUE;
	}
	if (!esimcli_find_command (object, g_ptr_array_index (words, first + 1), &command, error))
		return FALSE;
	if (command == NULL)
		print_object_help (object);
	else
		print_command_help (object, command);
	return TRUE;
}

static gboolean
check_command_options (ParseState *state, const EsimcliObject *object,
		       const EsimcliCommand *command, GError **error)
{
	EsimcliCommandOptions unexpected = state->command_options & ~command->options;

	for (guint i = 0; unexpected != 0 && esimcli_options[i].long_name != NULL; i++) {
		if ((unexpected & esimcli_options[i].command_flag) == 0)
			continue;
		if (object->commands == NULL)
			return esimcli_usage_error (error, _("option --%s does not apply to '%s'"),
						    esimcli_options[i].long_name, object->name);
		return esimcli_usage_error (error, _("option --%s does not apply to '%s %s'"),
					    esimcli_options[i].long_name, object->name,
					    command->name);
	}
	if ((state->cli->terse || state->cli->get_values) &&
	    state->cli->output != ESIMCLI_OUTPUT_HUMAN)
		return esimcli_usage_error (error, _("--terse and --get-values only apply to the "
						     "human output format"));
	return TRUE;
}

/* Resolves OBJECT and COMMAND and runs it (or its help). */
static gboolean
dispatch (ParseState *state, GError **error)
{
	EsimcliCli *cli = state->cli;
	const EsimcliObject *object = NULL;
	const EsimcliCommand *command = NULL;
	gboolean command_named = FALSE;
	guint first_arg = 1;

	if (state->words->len == 0) {
		if (state->help)
			return run_help (cli, state->words, 0, error);
		return esimcli_usage_error (error, _("missing argument OBJECT"));
	}
	if (!esimcli_find_object (g_ptr_array_index (state->words, 0), &object, error))
		return FALSE;
	if (object == NULL)
		return run_help (cli, state->words, 1, error);
	cli->object_name = object->name;

	if (object->commands != NULL && state->words->len > 1) {
		if (!esimcli_find_command (object, g_ptr_array_index (state->words, 1), &command,
					   error))
			return FALSE;
		/* "esimcli profile help [COMMAND]" */
		if (command == NULL) {
			g_ptr_array_remove_index (state->words, 1);
			return run_help (cli, state->words, 0, error);
		}
		command_named = TRUE;
		first_arg = 2;
	} else if (object->commands != NULL) {
		command = &object->commands[0];
	} else {
		command = object->direct;
	}

	/* "esimcli profile enable help", "esimcli monitor help", -h anywhere */
	if (state->help || (state->words->len > first_arg &&
			    g_strcmp0 (g_ptr_array_index (state->words, first_arg), "help") == 0)) {
		if (command_named || object->commands == NULL)
			print_command_help (object, command);
		else
			print_object_help (object);
		return TRUE;
	}
	for (guint i = first_arg; i < state->words->len; i++) {
		const gchar *word = g_ptr_array_index (state->words, i);
		g_ptr_array_add (state->args->positional, g_strdup (word));
	}
	if (!check_command_options (state, object, command, error))
		return FALSE;
	cli->color = esimcli_color_wanted (cli->color_mode, STDOUT_FILENO);
	return command->func (cli, state->args, error);
}

static void
args_clear (EsimcliArgs *args)
{
	g_clear_pointer (&args->positional, g_ptr_array_unref);
	g_clear_pointer (&args->euicc, g_free);
	if (args->confirmation_code != NULL)
		memset (args->confirmation_code, 0, strlen (args->confirmation_code));
	g_clear_pointer (&args->confirmation_code, g_free);
}

/* For the "Try 'esimcli OBJECT help'" hint after an option error. */
static void
guess_object_name (ParseState *state)
{
	const EsimcliObject *object = NULL;

	if (state->words->len > 0 &&
	    esimcli_find_object (g_ptr_array_index (state->words, 0), &object, NULL) && object != NULL)
		state->cli->object_name = object->name;
}

int
main (int argc, char **argv)
{
	EsimcliCli cli = { 0 };
	EsimcliArgs args = { 0 };
	g_autoptr(GPtrArray) words = g_ptr_array_new ();
	g_autoptr(GError) error = NULL;
	ParseState state = { &cli, &args, FALSE, FALSE, 0, words };
	gint exit_code;

	setlocale (LC_ALL, "");
	/* ESIMD_LOCALEDIR: the catalogues of a build tree (meson devenv, tests) */
	bindtextdomain (GETTEXT_PACKAGE, g_getenv ("ESIMD_LOCALEDIR") != NULL
	                ? g_getenv ("ESIMD_LOCALEDIR") : LOCALEDIR);
	bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
	textdomain (GETTEXT_PACKAGE);
	g_set_prgname ("esimcli");

	/* global options may come first ("esimcli --session --complete-args …"): they stay words */
	for (gint i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (g_strcmp0 (argv[i], "--complete-args") == 0) {
			g_autoptr(GPtrArray) complete_words = g_ptr_array_new ();

			for (gint j = 1; j < argc; j++) {
				if (j != i)
					g_ptr_array_add (complete_words, argv[j]);
			}
			esimcli_complete ((gint) complete_words->len,
					  (gchar **) complete_words->pdata);
			return ESIMCLI_EXIT_OK;
		}
	}

	cli.wait_seconds = -1;
	args.positional = g_ptr_array_new_with_free_func (g_free);
	if (!parse_command_line (&state, argc, argv, &error)) {
		guess_object_name (&state);
	} else if (state.version && !state.help) {
		g_print ("esimcli %s\n", PACKAGE_VERSION);
	} else {
		dispatch (&state, &error);
	}

	if (error != NULL) {
		esimcli_print_error (&cli, error);
		exit_code = esimcli_error_to_exit (error);
	} else {
		exit_code = cli.exit_code;
	}
	args_clear (&args);
	esimcli_cli_clear (&cli);
	return exit_code;
}
