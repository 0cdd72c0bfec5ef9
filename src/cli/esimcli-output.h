/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The single field table of esimcli (after mmcli-output): each object kind maps field names
 * to a getter, and one renderer prints human, terse, keyvalue or JSON.  Values are printed
 * in full (EIDs and ICCIDs included) and, except in human output, never translated. */
#pragma once

#include "esimcli-common.h"

G_BEGIN_DECLS

/* Returns the value of one field of @item (floating or full reference), or NULL if unknown.
 * Types: s, o, b, u, t, x, as, ao. */
typedef GVariant *(*EsimcliFieldGetter) (EsimcliCli *cli, gpointer item);

typedef struct {
	/* upper case, as in headers and -f; the JSON/keyvalue key is lower case with '_' for '-' */
	const gchar *name;
	EsimcliFieldGetter get;
	/* the value is a word of esimcli's own (N_()), translated in human output only */
	gboolean translated;
} EsimcliField;

typedef struct {
	const gchar *kind;		/* keyvalue prefix, e.g. "profile" */
	const EsimcliField *fields;	/* terminated by an entry with name NULL */
	const gchar *default_fields;	/* comma-separated, for lists */
} EsimcliFieldTable;

typedef struct _EsimcliOutput EsimcliOutput;

EsimcliOutput *esimcli_output_new (EsimcliCli *cli, const EsimcliFieldTable *table, GError **error);
void           esimcli_output_set_default_fields (EsimcliOutput *output, const gchar *fields);
void           esimcli_output_add (EsimcliOutput *output, gpointer item);
void           esimcli_output_print_list (EsimcliOutput *output);
void           esimcli_output_print_show (EsimcliOutput *output);
void           esimcli_output_free (EsimcliOutput *output);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimcliOutput, esimcli_output_free)

/* helpers shared with monitor */
/* @human: booleans as translated "yes"/"no"; otherwise the same text in every locale */
gchar         *esimcli_value_to_text (GVariant *value, gboolean human);
gchar         *esimcli_sanitize (const gchar *text);
gchar         *esimcli_field_key (const gchar *name);
gchar        **esimcli_field_names (const EsimcliFieldTable *table);

/* tables, for help and completion */
extern const EsimcliFieldTable esimcli_general_table;
extern const EsimcliFieldTable esimcli_euicc_table;
extern const EsimcliFieldTable esimcli_profile_table;
extern const EsimcliFieldTable esimcli_notification_table;
extern const EsimcliFieldTable esimcli_eim_table;

G_END_DECLS
