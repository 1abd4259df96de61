/*
 * commands.h: the slash commands, in one table that drives their
 * dispatch and /help (and is there for completion to read).
 */
#ifndef SECCHAT_COMMANDS_H
#define SECCHAT_COMMANDS_H

struct client;
struct command;

/* What a command takes after its name. */
enum cmd_args {
	CMD_ARGS_NONE,		/* nothing: what follows is ignored */
	CMD_ARGS_TEXT,		/* text */
	CMD_ARGS_TEXT_OPT,	/* text, or none */
	CMD_ARGS_USER_TEXT,	/* a user name, then text */
	CMD_ARGS_USER,		/* a user name */
	CMD_ARGS_USER_OPT,	/* a user name, or none */
	CMD_ARGS_ROOM,		/* a room name */
	CMD_ARGS_ROOM_OPT,	/* a room name, else the current room */
	CMD_ARGS_COMMAND_OPT	/* a command name, or none */
};

#define CMD_ALIASES_MAX	3

/* arg: what followed the name, without the blanks around it. */
typedef void	(*cmd_fn)(struct client *, const struct command *,
		    char *arg);

struct command {
	const char	*name;		/* lower case, without the slash */
	const char	*aliases[CMD_ALIASES_MAX + 1];	/* NULL-terminated */
	enum cmd_args	 args;
	const char	*synopsis;	/* the arguments, as /help shows them */
	const char	*summary;	/* its line in the list */
	const char	*detail;	/* more, for /help NAME; or NULL */
	cmd_fn		 run;
};

/* Every command, in the order /help lists them; ends with a NULL name. */
extern const struct command	cmd_table[];

/* The command a name or alias names, in any case, or NULL. */
const struct command	*cmd_find(const char *name);
/* Whether a command of this kind needs an argument. */
int			 cmd_args_required(enum cmd_args);

typedef void	(*cmd_emit_fn)(void *arg, const char *line);
/*
 * The text of /help, line by line to emit: with topic NULL or "", every
 * command; else all about the command topic names (with or without the
 * slash).  Returns -1, and emits nothing, if it names none.
 */
int	cmd_help(const char *topic, cmd_emit_fn emit, void *arg);

/* A request has been queued (counted for the PINGs that follow them). */
void	cmd_request_sent(struct client *);

/*
 * A line as typed, or read in pipe mode: said in the current room, or run
 * as a command.  The line may be changed.
 */
void	cmd_line(struct client *, char *line);

/*
 * Read the ignore list from its file in the configuration directory,
 * once; a file that cannot be read is reported and ignores nobody.
 */
void	cmd_ignore_load(struct client *);
/*
 * Our away text ("" if we are not away), to say again after connecting
 * anew: the server forgets it with our last session.
 */
const char *cmd_away_text(void);

#endif
