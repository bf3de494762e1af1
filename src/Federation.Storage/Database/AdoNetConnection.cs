using System.Data.Common;

namespace Federation.Storage;

/// <summary>
/// An open connection with its commands cached by SQL text, so a pooled connection prepares each
/// statement once and every later use only rebinds parameter values.
/// </summary>
public sealed class AdoNetConnection : IAsyncDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    public AdoNetConnection(DbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
    }

    public DbConnection Connection { get; }

    /// <summary>The cached command for <paramref name="sql"/>; its parameters keep their last values until rebound.</summary>
    public DbCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            _commands.Add(sql, command);
        }

        return command;
    }

    /// <summary>Sets (adding it the first time) the named parameter; null becomes DBNull.</summary>
    public static void Bind(DbCommand command, string name, object? value)
    {
        var index = command.Parameters.IndexOf(name);
        DbParameter parameter;
        if (index < 0)
        {
            parameter = command.CreateParameter();
            parameter.ParameterName = name;
            command.Parameters.Add(parameter);
        }
        else
        {
            parameter = command.Parameters[index];
        }

        parameter.Value = value ?? DBNull.Value;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in _commands.Values)
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }

        _commands.Clear();
        await Connection.DisposeAsync().ConfigureAwait(false);
    }
}
