using Microsoft.Data.Sqlite;

namespace Federation.Server.Hosting;

/// <summary>Checks that the configured store answers, for <c>/health</c>.</summary>
public sealed class StorageProbe
{
    private readonly ServerSettings _settings;

    public StorageProbe(ServerSettings settings)
    {
        _settings = settings;
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        if (_settings.Storage != StorageKind.Sqlite)
        {
            return;
        }

        await using var connection = new SqliteConnection(_settings.SqliteConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        await command.ExecuteScalarAsync(cancellationToken);
    }
}
