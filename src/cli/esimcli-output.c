/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Field selection and the four renderers: human (table or "FIELD: value" block), terse
 * (`:`-separated, -t/-g), keyvalue ("kind.field: value") and JSON (json-glib). */

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "esimcli-output.h"

#define COLOR_BOLD   "\033[1m"
#define COLOR_GREEN  "\033[32m"
#define COLOR_YELLOW "\033[33m"
#define COLOR_RED    "\033[31m"
#define COLOR_RESET  "\033[0m"

struct _EsimcliOutput {
	EsimcliCli *cli;
	const EsimcliFieldTable *table;
	guint n_fields;
	GArray *selected;	/* guint indexes into table->fields, NULL until resolved */
	gchar *default_fields;
	GPtrArray *rows;	/* GPtrArray of GVariant* (NULL = no value), one per table field */
};

static void
variant_unref_nullable (gpointer value)
{
	if (value != NULL)
		g_variant_unref (value);
}

gchar *
esimcli_field_key (const gchar *name)
{
	gchar *key = g_ascii_strdown (name, -1);

	g_strdelimit (key, "-", '_');
	return key;
}

gchar **
esimcli_field_names (const EsimcliFieldTable *table)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

	for (guint i = 0; table->fields[i].name != NULL; i++)
		g_strv_builder_add (builder, table->fields[i].name);
	return g_strv_builder_end (builder);
}

/* -f names are case-insensitive and '-' and '_' are interchangeable. */
static gboolean
field_name_matches (const gchar *name, const gchar *wanted)
{
	g_autofree gchar *key_name = esimcli_field_key (name);
	g_autofree gchar *key_wanted = esimcli_field_key (wanted);

	return g_strcmp0 (key_name, key_wanted) == 0;
}

static GArray *
parse_fields (const EsimcliFieldTable *table, const gchar *spec, GError **error)
{
	g_autoptr(GArray) selected = g_array_new (FALSE, FALSE, sizeof (guint));
	g_auto(GStrv) names = g_strsplit (spec, ",", -1);

	for (guint i = 0; names[i] != NULL; i++) {
		gchar *name = g_strstrip (names[i]);
		gboolean found = FALSE;

		if (*name == '\0')
			continue;
		if (g_ascii_strcasecmp (name, "all") == 0) {
			for (guint j = 0; table->fields[j].name != NULL; j++)
				g_array_append_val (selected, j);
			continue;
		}
		for (guint j = 0; table->fields[j].name != NULL; j++) {
			if (field_name_matches (table->fields[j].name, name)) {
				g_array_append_val (selected, j);
				found = TRUE;
				break;
			}
		}
		if (!found) {
			g_auto(GStrv) available = esimcli_field_names (table);
			g_autofree gchar *list = g_strjoinv (", ", available);
			esimcli_usage_error (error, _("unknown field '%s' (available: %s, all)"),
					     name, list);
			return NULL;
		}
	}
	if (selected->len == 0) {
		esimcli_usage_error (error, _("no field selected"));
		return NULL;
	}
	return g_steal_pointer (&selected);
}

EsimcliOutput *
esimcli_output_new (EsimcliCli *cli, const EsimcliFieldTable *table, GError **error)
{
	g_autoptr(EsimcliOutput) output = g_new0 (EsimcliOutput, 1);

	output->cli = cli;
	output->table = table;
	while (table->fields[output->n_fields].name != NULL)
		output->n_fields++;
	output->default_fields = g_strdup (table->default_fields);
	output->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
	if (cli->fields != NULL) {
		output->selected = parse_fields (table, cli->fields, error);
		if (output->selected == NULL)
			return NULL;
	}
	return g_steal_pointer (&output);
}

void
esimcli_output_free (EsimcliOutput *output)
{
	if (output->selected != NULL)
		g_array_unref (output->selected);
	g_ptr_array_unref (output->rows);
	g_free (output->default_fields);
	g_free (output);
}

void
esimcli_output_set_default_fields (EsimcliOutput *output, const gchar *fields)
{
	g_free (output->default_fields);
	output->default_fields = g_strdup (fields);
}

void
esimcli_output_add (EsimcliOutput *output, gpointer item)
{
	GPtrArray *row = g_ptr_array_new_full (output->n_fields, variant_unref_nullable);

	for (guint i = 0; i < output->n_fields; i++) {
		const EsimcliField *field = &output->table->fields[i];
		GVariant *value = field->get (output->cli, item);

		if (value != NULL)
			g_variant_ref_sink (value);
		g_ptr_array_add (row, value);
	}
	g_ptr_array_add (output->rows, row);
}

/* Control characters from the card (names, nicknames) must not reach the terminal. */
gchar *
esimcli_sanitize (const gchar *text)
{
	GString *clean = g_string_new (NULL);

	for (const gchar *p = text; *p != '\0'; p = g_utf8_next_char (p)) {
		gunichar c = g_utf8_get_char_validated (p, -1);
		if (c == (gunichar) -1 || c == (gunichar) -2) {
			g_string_append_c (clean, '?');
			break;
		}
		if (c < 0x20 || (c >= 0x7f && c < 0xa0))
			g_string_append_c (clean, '?');
		else
			g_string_append_unichar (clean, c);
	}
	return g_string_free (clean, FALSE);
}

gchar *
esimcli_value_to_text (GVariant *value, gboolean human)
{
	if (value == NULL)
		return g_strdup ("");
	if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ||
	    g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH))
		return esimcli_sanitize (g_variant_get_string (value, NULL));
	if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN)) {
		const gchar *word = g_variant_get_boolean (value) ? N_("yes") : N_("no");
		return g_strdup (human ? _(word) : word);
	}
	if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
		return g_strdup_printf ("%u", g_variant_get_uint32 (value));
	if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
		return g_strdup_printf ("%d", g_variant_get_int32 (value));
	if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
		return g_strdup_printf ("%" G_GUINT64_FORMAT, g_variant_get_uint64 (value));
	if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
		return g_strdup_printf ("%" G_GINT64_FORMAT, g_variant_get_int64 (value));
	if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING_ARRAY) ||
	    g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH_ARRAY)) {
		g_autofree const gchar **strv = NULL;
		g_autofree gchar *joined = NULL;

		if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING_ARRAY))
			strv = g_variant_get_strv (value, NULL);
		else
			strv = g_variant_get_objv (value, NULL);
		joined = g_strjoinv (", ", (gchar **) strv);
		return esimcli_sanitize (joined);
	}
	{
		g_autofree gchar *printed = g_variant_print (value, FALSE);
		return esimcli_sanitize (printed);
	}
}

static void
ensure_selected (EsimcliOutput *output, gboolean list)
{
	if (output->selected != NULL)
		return;
	if (list && output->default_fields != NULL) {
		output->selected = parse_fields (output->table, output->default_fields, NULL);
		if (output->selected != NULL)
			return;
	}
	output->selected = g_array_new (FALSE, FALSE, sizeof (guint));
	for (guint i = 0; i < output->n_fields; i++)
		g_array_append_val (output->selected, i);
}

static guint
selected_field (EsimcliOutput *output, guint column)
{
	return g_array_index (output->selected, guint, column);
}

/* the value in @row of the @column-th selected field */
static GVariant *
cell_value (EsimcliOutput *output, GPtrArray *row, guint column)
{
	return g_ptr_array_index (row, selected_field (output, column));
}

static const gchar *
column_name (EsimcliOutput *output, guint column)
{
	return output->table->fields[selected_field (output, column)].name;
}

/* terminal columns taken by @text */
static gsize
display_width (const gchar *text)
{
	gsize width = 0;

	for (const gchar *p = text; *p != '\0'; p = g_utf8_next_char (p)) {
		gunichar c = g_utf8_get_char (p);
		if (g_unichar_iszerowidth (c))
			continue;
		width += g_unichar_iswide (c) ? 2 : 1;
	}
	return width;
}

static const gchar *
value_color (const gchar *field_name, const gchar *text)
{
	if (g_strcmp0 (field_name, "STATE") != 0 && g_strcmp0 (field_name, "RUNNING") != 0)
		return NULL;
	if (g_str_equal (text, "enabled") || g_str_equal (text, "ready") ||
	    g_str_equal (text, _("yes")))
		return COLOR_GREEN;
	if (g_str_equal (text, "busy"))
		return COLOR_YELLOW;
	if (g_str_equal (text, "error") || g_str_equal (text, "absent") ||
	    g_str_equal (text, _("no")))
		return COLOR_RED;
	return NULL;
}

static gchar *
human_text (EsimcliOutput *output, guint column, GVariant *value)
{
	const EsimcliField *field = &output->table->fields[selected_field (output, column)];
	g_autofree gchar *text = esimcli_value_to_text (value, TRUE);

	if (*text == '\0')
		return g_strdup ("--");
	if (field->translated)
		return g_strdup (_(text));
	return g_steal_pointer (&text);
}

static void
append_cell (GString *line, const gchar *text, const gchar *color, gsize pad)
{
	if (color != NULL)
		g_string_append_printf (line, "%s%s%s", color, text, COLOR_RESET);
	else
		g_string_append (line, text);
	for (gsize i = 0; i < pad; i++)
		g_string_append_c (line, ' ');
}

static void
print_human_list (EsimcliOutput *output)
{
	guint n_columns = output->selected->len;
	g_autofree gsize *widths = g_new0 (gsize, n_columns);
	g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
	gboolean color = output->cli->color;
	g_autoptr(GString) line = g_string_new (NULL);

	for (guint c = 0; c < n_columns; c++)
		widths[c] = display_width (column_name (output, c));
	for (guint r = 0; r < output->rows->len; r++) {
		GPtrArray *row = g_ptr_array_index (output->rows, r);
		for (guint c = 0; c < n_columns; c++) {
			gchar *text = human_text (output, c, cell_value (output, row, c));
			widths[c] = MAX (widths[c], display_width (text));
			g_ptr_array_add (texts, text);
		}
	}

	for (guint c = 0; c < n_columns; c++) {
		const gchar *name = column_name (output, c);
		gsize pad = c + 1 < n_columns ? widths[c] - display_width (name) + 2 : 0;
		append_cell (line, name, color ? COLOR_BOLD : NULL, pad);
	}
	g_print ("%s\n", line->str);

	for (guint r = 0; r < output->rows->len; r++) {
		g_string_truncate (line, 0);
		for (guint c = 0; c < n_columns; c++) {
			const gchar *name = column_name (output, c);
			const gchar *text = g_ptr_array_index (texts, r * n_columns + c);
			gsize pad = c + 1 < n_columns ? widths[c] - display_width (text) + 2 : 0;
			append_cell (line, text, color ? value_color (name, text) : NULL, pad);
		}
		g_print ("%s\n", line->str);
	}
}

static void
print_human_show (EsimcliOutput *output)
{
	gsize width = 0;
	gboolean color = output->cli->color;

	for (guint c = 0; c < output->selected->len; c++)
		width = MAX (width, display_width (column_name (output, c)));

	for (guint r = 0; r < output->rows->len; r++) {
		GPtrArray *row = g_ptr_array_index (output->rows, r);
		if (r > 0)
			g_print ("\n");
		for (guint c = 0; c < output->selected->len; c++) {
			const gchar *name = column_name (output, c);
			g_autofree gchar *text = human_text (output, c, cell_value (output, row, c));
			g_autoptr(GString) line = g_string_new (NULL);

			append_cell (line, name, NULL, 0);
			g_string_append_c (line, ':');
			for (gsize i = display_width (name); i < width + 1; i++)
				g_string_append_c (line, ' ');
			append_cell (line, text, color ? value_color (name, text) : NULL, 0);
			g_print ("%s\n", line->str);
		}
	}
}

/* nmcli's terse escaping: ':' and '\' are backslash-escaped */
static gchar *
terse_text (GVariant *value)
{
	g_autofree gchar *text = esimcli_value_to_text (value, FALSE);
	GString *escaped = g_string_new (NULL);

	for (const gchar *p = text; *p != '\0'; p++) {
		if (*p == ':' || *p == '\\')
			g_string_append_c (escaped, '\\');
		g_string_append_c (escaped, *p);
	}
	return g_string_free (escaped, FALSE);
}

static void
print_terse (EsimcliOutput *output, gboolean list)
{
	for (guint r = 0; r < output->rows->len; r++) {
		GPtrArray *row = g_ptr_array_index (output->rows, r);
		g_autoptr(GString) line = g_string_new (NULL);

		for (guint c = 0; c < output->selected->len; c++) {
			const gchar *name = column_name (output, c);
			g_autofree gchar *text = terse_text (cell_value (output, row, c));

			if (list) {
				if (c > 0)
					g_string_append_c (line, ':');
				g_string_append (line, text);
			} else if (output->cli->get_values) {
				g_print ("%s\n", text);
			} else {
				g_print ("%s:%s\n", name, text);
			}
		}
		if (list)
			g_print ("%s\n", line->str);
	}
}

static void
print_keyvalue (EsimcliOutput *output, gboolean list)
{
	for (guint r = 0; r < output->rows->len; r++) {
		GPtrArray *row = g_ptr_array_index (output->rows, r);
		g_autofree gchar *prefix = list ? g_strdup_printf ("%s[%u]", output->table->kind, r + 1)
						: g_strdup (output->table->kind);

		for (guint c = 0; c < output->selected->len; c++) {
			const gchar *name = column_name (output, c);
			g_autofree gchar *key = esimcli_field_key (name);
			g_autofree gchar *text = esimcli_value_to_text (cell_value (output, row, c), FALSE);
			g_print ("%s.%s: %s\n", prefix, key, *text != '\0' ? text : "--");
		}
	}
}

static void
json_add_value (JsonBuilder *builder, GVariant *value)
{
	if (value == NULL) {
		json_builder_add_null_value (builder);
	} else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN)) {
		json_builder_add_boolean_value (builder, g_variant_get_boolean (value));
	} else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32)) {
		json_builder_add_int_value (builder, g_variant_get_uint32 (value));
	} else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32)) {
		json_builder_add_int_value (builder, g_variant_get_int32 (value));
	} else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64)) {
		json_builder_add_int_value (builder, (gint64) MIN (g_variant_get_uint64 (value),
								   (guint64) G_MAXINT64));
	} else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64)) {
		json_builder_add_int_value (builder, g_variant_get_int64 (value));
	} else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ||
		   g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH)) {
		json_builder_add_string_value (builder, g_variant_get_string (value, NULL));
	} else if (g_variant_is_of_type (value, G_VARIANT_TYPE_ARRAY)) {
		json_builder_begin_array (builder);
		for (gsize i = 0; i < g_variant_n_children (value); i++) {
			g_autoptr(GVariant) child = g_variant_get_child_value (value, i);
			json_add_value (builder, child);
		}
		json_builder_end_array (builder);
	} else {
		g_autofree gchar *printed = g_variant_print (value, FALSE);
		json_builder_add_string_value (builder, printed);
	}
}

static void
json_add_row (EsimcliOutput *output, JsonBuilder *builder, GPtrArray *row)
{
	json_builder_begin_object (builder);
	for (guint c = 0; c < output->selected->len; c++) {
		g_autofree gchar *key =
			esimcli_field_key (column_name (output, c));
		json_builder_set_member_name (builder, key);
		json_add_value (builder, cell_value (output, row, c));
	}
	json_builder_end_object (builder);
}

static void
print_json (EsimcliOutput *output, gboolean list)
{
	g_autoptr(JsonBuilder) builder = json_builder_new ();
	g_autoptr(JsonGenerator) generator = json_generator_new ();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *text = NULL;

	if (list || output->rows->len != 1) {
		json_builder_begin_array (builder);
		for (guint r = 0; r < output->rows->len; r++)
			json_add_row (output, builder, g_ptr_array_index (output->rows, r));
		json_builder_end_array (builder);
	} else {
		json_add_row (output, builder, g_ptr_array_index (output->rows, 0));
	}
	root = json_builder_get_root (builder);
	json_generator_set_root (generator, root);
	json_generator_set_pretty (generator, TRUE);
	json_generator_set_indent (generator, 2);
	text = json_generator_to_data (generator, NULL);
	g_print ("%s\n", text);
}

static void
print_output (EsimcliOutput *output, gboolean list)
{
	ensure_selected (output, list);
	switch (output->cli->output) {
	case ESIMCLI_OUTPUT_JSON:
		print_json (output, list);
		break;
	case ESIMCLI_OUTPUT_KEYVALUE:
		print_keyvalue (output, list);
		break;
	case ESIMCLI_OUTPUT_HUMAN:
	default:
		if (output->cli->terse || output->cli->get_values)
			print_terse (output, list);
		else if (list)
			print_human_list (output);
		else
			print_human_show (output);
		break;
	}
}

void
esimcli_output_print_list (EsimcliOutput *output)
{
	print_output (output, TRUE);
}

void
esimcli_output_print_show (EsimcliOutput *output)
{
	print_output (output, FALSE);
}
