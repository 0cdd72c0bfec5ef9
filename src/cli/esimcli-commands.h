/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command tables of esimcli, shared by the parser, the help and the completion, so that
 * completion cannot drift from what the parser accepts. */
#pragma once

#include "esimcli-output.h"

G_BEGIN_DECLS

typedef enum {
	ESIMCLI_ARG_NONE,
	ESIMCLI_ARG_PROFILE,	/* ICCID, index or nickname */
	ESIMCLI_ARG_EUICC,	/* EID, index or object path */
	ESIMCLI_ARG_SEQ,
	ESIMCLI_ARG_TEXT,
	ESIMCLI_ARG_EIM,	/* eimId or index */
} EsimcliArgKind;

/* command options, as a bit set of what a command accepts */
typedef enum {
	ESIMCLI_CMD_OPT_EUICC = 1 << 0,
	ESIMCLI_CMD_OPT_YES = 1 << 1,
	ESIMCLI_CMD_OPT_KEEP_TEST = 1 << 2,
	ESIMCLI_CMD_OPT_CONFIRMATION_CODE = 1 << 3,
	ESIMCLI_CMD_OPT_ENABLE = 1 << 4,
	ESIMCLI_CMD_OPT_EIM_FILE = 1 << 5,
	ESIMCLI_CMD_OPT_EIM_FIELDS = 1 << 6,	/* --id, --fqdn, --key, --tls-*, --counter… */
	ESIMCLI_CMD_OPT_EIM_ALL = 1 << 7,
} EsimcliCommandOptions;

typedef enum {
	ESIMCLI_OPT_TERSE,
	ESIMCLI_OPT_FIELDS,
	ESIMCLI_OPT_GET_VALUES,
	ESIMCLI_OPT_OUTPUT,
	ESIMCLI_OPT_WAIT,
	ESIMCLI_OPT_COLOR,
	ESIMCLI_OPT_SHOW_SECRETS,
	ESIMCLI_OPT_SESSION,
	ESIMCLI_OPT_VERSION,
	ESIMCLI_OPT_HELP,
	ESIMCLI_OPT_EUICC,
	ESIMCLI_OPT_YES,
	ESIMCLI_OPT_KEEP_TEST,
	ESIMCLI_OPT_CONFIRMATION_CODE,
	ESIMCLI_OPT_ENABLE,
	ESIMCLI_OPT_EIM_FILE,
	ESIMCLI_OPT_EIM_ID,
	ESIMCLI_OPT_EIM_FQDN,
	ESIMCLI_OPT_EIM_KEY,
	ESIMCLI_OPT_EIM_TLS_CA,
	ESIMCLI_OPT_EIM_TLS_KEY,
	ESIMCLI_OPT_EIM_COUNTER,
	ESIMCLI_OPT_EIM_PROTOCOL,
	ESIMCLI_OPT_EIM_INDIRECT_DOWNLOAD,
	ESIMCLI_OPT_EIM_ALL,
} EsimcliOptionId;

typedef struct {
	EsimcliOptionId id;
	gchar short_name;		/* 0 if none */
	const gchar *long_name;
	const gchar *arg_name;		/* NULL: takes no value */
	const gchar *const *values;	/* the accepted values, for completion; NULL if free */
	EsimcliCommandOptions command_flag;	/* 0 for a global option */
	const gchar *description;	/* N_(); NULL: obsolete, accepted but not offered */
} EsimcliOption;

typedef struct {
	const gchar *name;
	EsimcliCommandFunc func;
	const gchar *synopsis;		/* arguments and options, e.g. "ICCID" */
	const gchar *summary;		/* N_() */
	EsimcliCommandOptions options;
	EsimcliArgKind args[3];		/* kinds of the positional arguments, for completion */
	gboolean prints_fields;		/* -f/-g/-o select what it prints */
} EsimcliCommand;

typedef struct {
	const gchar *name;
	const gchar *summary;		/* N_() */
	const EsimcliCommand *commands;	/* terminated by name NULL; the first is the default */
	const EsimcliCommand *direct;	/* run when the object has no commands (monitor) */
	const EsimcliFieldTable *const *tables;	/* the field tables shown by its commands */
	const gchar *notes;		/* N_(), for its help: what its arguments mean */
} EsimcliObject;

/* an option whose value is a file name: completion offers files */
#define ESIMCLI_ARG_FILE "FILE"
/* what `--complete-args` prints to ask the shell for file names */
#define ESIMCLI_COMPLETE_FILES "@files@"

extern const EsimcliOption esimcli_options[];
extern const EsimcliObject esimcli_objects[];

const EsimcliOption *esimcli_option_by_long (const gchar *name, gsize len);
const EsimcliOption *esimcli_option_by_short (gchar name);

/* Resolves @word to one of @names: an exact name or an unambiguous prefix; -1 and a usage
 * error otherwise.  @what names the kind of word in the error ("object", "command"). */
gint     esimcli_match_name (const gchar *word, const gchar *const *names, const gchar *what,
			     GError **error);
/* "help" resolves to NULL without error, as it is not a real object/command */
gboolean esimcli_find_object (const gchar *word, const EsimcliObject **object, GError **error);
gboolean esimcli_find_command (const EsimcliObject *object, const gchar *word,
			       const EsimcliCommand **command, GError **error);

/* option parsing shared with the completion: applies one option to @cli/@args */
gboolean esimcli_apply_option (EsimcliCli *cli, EsimcliArgs *args, const EsimcliOption *option,
			       const gchar *value, GError **error);

/* completion: prints candidates for the last of @words */
void     esimcli_complete (gint n_words, gchar **words);

G_END_DECLS
