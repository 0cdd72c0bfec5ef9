/* SPDX-License-Identifier: GPL-2.0-or-later */
/* esimcli --complete-args WORDS…: completion candidates for the last word, one per line,
 * answered from the same tables as the parser (the bash script only forwards words). */

#include <string.h>

#include <glib/gi18n.h>

#include "esimcli-commands.h"

typedef struct {
	EsimcliCli cli;
	EsimcliArgs args;
	const EsimcliOption *pending;	/* option whose value is the last word */
	const EsimcliObject *object;
	gboolean object_is_help;
	const EsimcliCommand *command;
	guint n_words;			/* positional words before the last one */
	gboolean options_done;
	gboolean connected;
} Completion;

static void
print_candidate (const gchar *prefix, const gchar *candidate, const gchar *typed)
{
	g_autofree gchar *full = g_strconcat (prefix, candidate, NULL);

	if (g_str_has_prefix (full, typed))
		g_print ("%s\n", full);
}

static gboolean
completion_connect (Completion *self)
{
	if (!self->connected) {
		self->connected = TRUE;
		/* completion must neither start the daemon nor hang on it */
		if (self->cli.wait_seconds < 0)
			self->cli.wait_seconds = 2;
		if (!esimcli_connect (&self->cli, FALSE, NULL))
			return FALSE;
	}
	return esimcli_daemon_running (&self->cli);
}

static void
complete_euiccs (Completion *self, const gchar *prefix, const gchar *typed)
{
	g_autolist(EsimdGdbusEuicc) euiccs = NULL;

	if (!completion_connect (self))
		return;
	euiccs = esimcli_list_euiccs (&self->cli);
	for (GList *l = euiccs; l != NULL; l = l->next) {
		const gchar *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (l->data));
		g_autofree gchar *index = g_strdup_printf ("%u", esimcli_path_index (path));
		const gchar *eid = esimd_gdbus_euicc_get_eid (l->data);

		print_candidate (prefix, index, typed);
		if (eid != NULL && *eid != '\0')
			print_candidate (prefix, eid, typed);
	}
}

static void
complete_iccids (Completion *self, const gchar *typed)
{
	g_autolist(EsimdGdbusProfile) profiles = NULL;

	if (!completion_connect (self))
		return;
	profiles = esimcli_list_profiles (&self->cli, NULL);
	for (GList *l = profiles; l != NULL; l = l->next) {
		const gchar *iccid = esimd_gdbus_profile_get_iccid (l->data);
		if (iccid != NULL && *iccid != '\0')
			print_candidate ("", iccid, typed);
	}
}

static void
complete_seqs (Completion *self, const gchar *typed)
{
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(GVariant) list = NULL;
	GVariantIter iter;
	GVariant *dict;

	if (!completion_connect (self))
		return;
	euicc = esimcli_pick_euicc (&self->cli, self->args.euicc, NULL);
	if (euicc == NULL ||
	    !esimd_gdbus_euicc_call_list_notifications_sync (euicc, &list, NULL, NULL))
		return;
	g_variant_iter_init (&iter, list);
	while ((dict = g_variant_iter_next_value (&iter)) != NULL) {
		guint64 seq = 0;
		if (g_variant_lookup (dict, "seq", "t", &seq)) {
			g_autofree gchar *text = g_strdup_printf ("%" G_GUINT64_FORMAT, seq);
			print_candidate ("", text, typed);
		}
		g_variant_unref (dict);
	}
}

static void
complete_eims (Completion *self, const gchar *typed)
{
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autolist(EsimdGdbusEim) eims = NULL;

	if (!completion_connect (self))
		return;
	if (self->args.euicc != NULL) {
		euicc = esimcli_find_euicc (&self->cli, self->args.euicc, NULL);
		if (euicc == NULL)
			return;
	}
	eims = esimcli_list_eims (&self->cli, euicc != NULL
				  ? g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)) : NULL);
	for (GList *l = eims; l != NULL; l = l->next) {
		const gchar *eim_id = esimd_gdbus_eim_get_eim_id (l->data);

		if (eim_id != NULL && *eim_id != '\0')
			print_candidate ("", eim_id, typed);
	}
}

static void
complete_table_fields (const EsimcliFieldTable *table, GHashTable *seen, const gchar *prefix,
		       const gchar *typed)
{
	for (guint i = 0; table->fields[i].name != NULL; i++) {
		if (!g_hash_table_add (seen, (gpointer) table->fields[i].name))
			continue;
		print_candidate (prefix, table->fields[i].name, typed);
	}
}

/* "-f ICCID,ST" → candidates "ICCID,STATE"… */
static void
complete_fields (Completion *self, const gchar *prefix, const gchar *typed)
{
	const gchar *value = typed + strlen (prefix);
	const gchar *comma = strrchr (value, ',');
	g_autofree gchar *list_prefix = comma != NULL
		? g_strconcat (prefix, value, NULL)
		: g_strdup (prefix);
	g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

	if (comma != NULL)
		list_prefix[strlen (prefix) + (gsize) (comma - value) + 1] = '\0';
	else
		print_candidate (prefix, "all", typed);
	if (self->object != NULL && self->object->tables != NULL) {
		for (guint t = 0; self->object->tables[t] != NULL; t++)
			complete_table_fields (self->object->tables[t], seen, list_prefix, typed);
		return;
	}
	for (guint o = 0; esimcli_objects[o].name != NULL; o++) {
		const EsimcliFieldTable *const *tables = esimcli_objects[o].tables;

		for (guint t = 0; tables != NULL && tables[t] != NULL; t++)
			complete_table_fields (tables[t], seen, list_prefix, typed);
	}
}

static void
complete_option_value (Completion *self, const EsimcliOption *option, const gchar *prefix,
		       const gchar *typed)
{
	if (option->values != NULL) {
		for (guint i = 0; option->values[i] != NULL; i++)
			print_candidate (prefix, option->values[i], typed);
		return;
	}
	if (option->id == ESIMCLI_OPT_FIELDS || option->id == ESIMCLI_OPT_GET_VALUES)
		complete_fields (self, prefix, typed);
	else if (option->id == ESIMCLI_OPT_EUICC)
		complete_euiccs (self, prefix, typed);
	else if (g_strcmp0 (option->arg_name, ESIMCLI_ARG_FILE) == 0)
		g_print ("%s\n", ESIMCLI_COMPLETE_FILES);
}

static gboolean
option_applies (Completion *self, const EsimcliOption *option)
{
	if (option->command_flag == 0)
		return TRUE;
	return self->command != NULL && (self->command->options & option->command_flag) != 0;
}

static void
complete_options (Completion *self, const gchar *typed)
{
	const gchar *equals = strchr (typed, '=');

	if (g_str_has_prefix (typed, "--") && equals != NULL) {
		const EsimcliOption *option =
			esimcli_option_by_long (typed + 2, (gsize) (equals - typed - 2));
		g_autofree gchar *prefix = g_strndup (typed, (gsize) (equals - typed) + 1);

		if (option != NULL && option->arg_name != NULL)
			complete_option_value (self, option, prefix, typed);
		return;
	}
	for (guint i = 0; esimcli_options[i].long_name != NULL; i++) {
		if (esimcli_options[i].description != NULL && option_applies (self, &esimcli_options[i]))
			print_candidate ("--", esimcli_options[i].long_name, typed);
	}
}

static void
complete_names (const gchar *const *names, const gchar *typed)
{
	for (guint i = 0; names[i] != NULL; i++)
		print_candidate ("", names[i], typed);
	print_candidate ("", "help", typed);
}

static void
complete_objects (const gchar *typed)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new ();

	for (guint i = 0; esimcli_objects[i].name != NULL; i++)
		g_ptr_array_add (names, (gpointer) esimcli_objects[i].name);
	g_ptr_array_add (names, NULL);
	complete_names ((const gchar *const *) names->pdata, typed);
}

static void
complete_commands (const EsimcliObject *object, const gchar *typed)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new ();

	for (guint i = 0; object->commands[i].name != NULL; i++)
		g_ptr_array_add (names, (gpointer) object->commands[i].name);
	g_ptr_array_add (names, NULL);
	complete_names ((const gchar *const *) names->pdata, typed);
}

static void
take_word (Completion *self, const gchar *word)
{
	if (self->n_words == 0) {
		if (esimcli_find_object (word, &self->object, NULL)) {
			self->object_is_help = self->object == NULL;
			if (self->object != NULL && self->object->commands == NULL)
				self->command = self->object->direct;
		}
	} else if (self->n_words == 1 && self->object != NULL && self->object->commands != NULL) {
		if (!esimcli_find_command (self->object, word, &self->command, NULL))
			self->command = NULL;
	}
	self->n_words++;
}

/* Options as the parser reads them; bad values are ignored here. */
static void
take_option_word (Completion *self, const gchar *word)
{
	if (g_str_has_prefix (word, "--")) {
		const gchar *equals = strchr (word, '=');
		gsize len = equals != NULL ? (gsize) (equals - word - 2) : strlen (word + 2);
		const EsimcliOption *option = esimcli_option_by_long (word + 2, len);

		if (option == NULL)
			return;
		if (option->arg_name != NULL && equals == NULL)
			self->pending = option;
		else
			esimcli_apply_option (&self->cli, &self->args, option,
					      equals != NULL ? equals + 1 : NULL, NULL);
		return;
	}
	for (const gchar *p = word + 1; *p != '\0'; p++) {
		const EsimcliOption *option = esimcli_option_by_short (*p);
		if (option == NULL)
			return;
		if (option->arg_name == NULL) {
			esimcli_apply_option (&self->cli, &self->args, option, NULL, NULL);
			continue;
		}
		if (p[1] != '\0')
			esimcli_apply_option (&self->cli, &self->args, option, p + 1, NULL);
		else
			self->pending = option;
		return;
	}
}

/* the index of the last word among the command's arguments */
static gint
argument_index (Completion *self)
{
	if (self->object == NULL || self->command == NULL)
		return -1;
	if (self->object->commands == NULL)
		return (gint) self->n_words - 1;
	return (gint) self->n_words - 2;
}

static void
complete_last (Completion *self, const gchar *typed)
{
	gint index;

	if (self->pending != NULL) {
		complete_option_value (self, self->pending, "", typed);
		return;
	}
	if (!self->options_done && typed[0] == '-') {
		complete_options (self, typed);
		return;
	}
	if (self->n_words == 0 || (self->object_is_help && self->n_words == 1)) {
		complete_objects (typed);
		return;
	}
	if (self->object != NULL && self->object->commands != NULL && self->n_words == 1) {
		complete_commands (self->object, typed);
		return;
	}
	index = argument_index (self);
	if (index < 0 || index >= (gint) G_N_ELEMENTS (self->command->args))
		return;
	switch (self->command->args[index]) {
	case ESIMCLI_ARG_PROFILE:
		complete_iccids (self, typed);
		break;
	case ESIMCLI_ARG_EUICC:
		complete_euiccs (self, "", typed);
		break;
	case ESIMCLI_ARG_SEQ:
		complete_seqs (self, typed);
		break;
	case ESIMCLI_ARG_EIM:
		complete_eims (self, typed);
		break;
	case ESIMCLI_ARG_TEXT:
	case ESIMCLI_ARG_NONE:
	default:
		break;
	}
}

void
esimcli_complete (gint n_words, gchar **words)
{
	Completion self = { 0 };
	const gchar *typed = n_words > 0 ? words[n_words - 1] : "";

	self.cli.wait_seconds = -1;
	self.args.positional = g_ptr_array_new_with_free_func (g_free);
	for (gint i = 0; i < n_words - 1; i++) {
		const gchar *word = words[i];

		if (self.pending != NULL) {
			esimcli_apply_option (&self.cli, &self.args, self.pending, word, NULL);
			self.pending = NULL;
		} else if (!self.options_done && g_strcmp0 (word, "--") == 0) {
			self.options_done = TRUE;
		} else if (!self.options_done && word[0] == '-' && word[1] != '\0') {
			take_option_word (&self, word);
		} else {
			take_word (&self, word);
		}
	}
	complete_last (&self, typed);

	g_ptr_array_unref (self.args.positional);
	g_free (self.args.euicc);
	esimcli_eim_args_clear (&self.args);
	esimcli_cli_clear (&self.cli);
}
