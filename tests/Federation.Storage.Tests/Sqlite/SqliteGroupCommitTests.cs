using System.Globalization;
using Federation.Storage.Jobs;
using Federation.Storage.Sqlite;
using Federation.Storage.Tests.Jobs;
using Microsoft.Data.Sqlite;
using Orleans.Runtime;

namespace Federation.Storage.Tests.Sqlite;

/// <summary>
/// Writes that queue behind each other share one transaction. These tests hold the writer inside a
/// write until a queue has formed, so which writes share a commit is decided by the test, not by timing.
/// </summary>
public sealed class SqliteGroupCommitTests : IAsyncLifetime
{
    /// <summary>Only a guard against a hang: the queue forms as soon as the writer tasks have started.</summary>
    private static readonly TimeSpan QueueTimeout = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _directory = new();
    private AdoNetDatabase _database = null!;
    private SqliteConnectionSource _source = null!;

    public async Task InitializeAsync()
    {
        _database = SqliteStorage.CreateJobDatabase(new SqliteStorageOptions { ConnectionString = _directory.JobConnectionString });
        _source = (SqliteConnectionSource)_database.Connections;
        await _database.InitializeAsync();
        await _database.WriteAsync(static (c, _) => ExecuteAsync(c, "CREATE TABLE probe (name TEXT PRIMARY KEY)"), 0, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task WritesQueuedBehindAWriteShareOneCommit()
    {
        const int Queued = 10;
        var commitsBefore = _source.Commits;
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = HoldWriterAsync(hold);
        var queued = new List<Task<int>>();
        for (var i = 0; i < Queued; i++)
        {
            var name = "w" + i.ToString(CultureInfo.InvariantCulture);
            queued.Add(Task.Run(() => _database.WriteAsync(static (c, n) => InsertAsync(c, n), name, CancellationToken.None)));
        }

        Assert.True(SpinWait.SpinUntil(() => _source.WaitingWriters == Queued, QueueTimeout));
        hold.SetResult();
        await holder;
        await Task.WhenAll(queued);

        Assert.Equal(1, _source.Commits - commitsBefore);
        Assert.Equal(Queued + 1, await CountAsync());
    }

    [Fact]
    public async Task AFailedWriteRollsBackTheWritesSharingItsCommit()
    {
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = HoldWriterAsync(hold);
        var good = Task.Run(() => _database.WriteAsync(static (c, _) => ExecuteAsync(c, "INSERT INTO probe VALUES ('good')"), 0, CancellationToken.None));
        Assert.True(SpinWait.SpinUntil(() => _source.WaitingWriters == 1, QueueTimeout));
        var bad = Task.Run(() => _database.WriteAsync(static (c, _) => ExecuteAsync(c, "INSERT INTO missing_table VALUES (1)"), 0, CancellationToken.None));
        Assert.True(SpinWait.SpinUntil(() => _source.WaitingWriters == 2, QueueTimeout));

        hold.SetResult();

        var holderError = await Assert.ThrowsAsync<AdoNetStorageException>(() => holder);
        var goodError = await Assert.ThrowsAsync<AdoNetStorageException>(() => good);
        await Assert.ThrowsAsync<SqliteException>(() => bad);
        Assert.Contains("rolled back with the 3 write(s) sharing its commit", holderError.Message, StringComparison.Ordinal);
        Assert.Same(holderError, goodError);
        Assert.Equal(0, await CountAsync());

        // The writer recovers: the next write commits on its own.
        await _database.WriteAsync(static (c, _) => ExecuteAsync(c, "INSERT INTO probe VALUES ('after')"), 0, CancellationToken.None);
        Assert.Equal(1, await CountAsync());
    }

    [Fact]
    public async Task AWriteIsNotAcknowledgedBeforeItsCommit()
    {
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = HoldWriterAsync(hold);
        var queuedRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = Task.Run(() => _database.WriteAsync(static async (c, signals) =>
        {
            var rows = await ExecuteAsync(c, "INSERT INTO probe VALUES ('queued')");
            signals.QueuedRan.SetResult();
            await signals.Release.Task;
            return rows;
        }, (QueuedRan: queuedRan, Release: release), CancellationToken.None));
        Assert.True(SpinWait.SpinUntil(() => _source.WaitingWriters == 1, QueueTimeout));

        hold.SetResult();
        await queuedRan.Task;

        // The holder's statement ran long ago, but its transaction is still open with the queued write.
        Assert.False(holder.IsCompleted);
        Assert.Equal(0, await CountAsync());
        release.SetResult();
        await Task.WhenAll(holder, queued);
        Assert.Equal(2, await CountAsync());
    }

    [Fact]
    public async Task AGroupIsCutAtMaxWritesPerCommit()
    {
        const int Queued = SqliteConnectionSource.MaxWritesPerCommit + 44;
        var commitsBefore = _source.Commits;
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = HoldWriterAsync(hold);
        var queued = new List<Task<int>>();
        for (var i = 0; i < Queued; i++)
        {
            var name = "w" + i.ToString(CultureInfo.InvariantCulture);
            queued.Add(Task.Run(() => _database.WriteAsync(static (c, n) => InsertAsync(c, n), name, CancellationToken.None)));
        }

        Assert.True(SpinWait.SpinUntil(() => _source.WaitingWriters == Queued, QueueTimeout));
        hold.SetResult();
        await holder;
        await Task.WhenAll(queued);

        // The holder and the first 255 queued writes fill one commit; the other 45 share the next.
        Assert.Equal(2, _source.Commits - commitsBefore);
        Assert.Equal(Queued + 1, await CountAsync());
    }

    [Fact]
    public async Task JobStoreWritesQueuedBehindAWriteShareItsCommit()
    {
        const int Jobs = 12;
        var store = new AdoNetJobStore(_database, "group-commit", new JobStoreOptions(), new JsonRowSerializer());
        var commitsBefore = _source.Commits;
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = HoldWriterAsync(hold);
        var states = Enumerable.Range(0, Jobs).Select(i => new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", Region = "gwangju", Active = true, Value = i })).ToArray();
        var writes = states.Select((state, i) => Task.Run(() => store.WriteStateAsync(
            JobStoreOptions.DefaultStateName, GrainId.Create(GrainType.Create(JobStoreOptions.DefaultGrainType), "j" + i.ToString("D2", CultureInfo.InvariantCulture)), state))).ToArray();

        Assert.True(SpinWait.SpinUntil(() => _source.WaitingWriters == Jobs, QueueTimeout));
        Assert.All(writes, w => Assert.False(w.IsCompleted));
        hold.SetResult();
        await holder;
        await Task.WhenAll(writes);

        Assert.Equal(1, _source.Commits - commitsBefore);
        Assert.All(states, s => Assert.Equal("1", s.ETag));
        var page = await store.QueryAsync<TestJobRow>(new JobRowFilter { Region = "gwangju", ActiveOnly = true }, JobRowOrder.Id, 100, null);
        Assert.Equal(Jobs, page.Total);
        Assert.Equal(Enumerable.Range(0, Jobs), page.Rows.Select(r => r.Row.Value));
    }

    private Task<int> HoldWriterAsync(TaskCompletionSource hold) =>
        _database.WriteAsync(static async (c, hold) =>
        {
            await hold.Task;
            return await ExecuteAsync(c, "INSERT INTO probe VALUES ('holder')");
        }, hold, CancellationToken.None);

    private static Task<int> ExecuteAsync(AdoNetConnection connection, string sql) =>
        connection.Command(sql).ExecuteNonQueryAsync(CancellationToken.None);

    private static Task<int> InsertAsync(AdoNetConnection connection, string name)
    {
        var command = connection.Command("INSERT INTO probe VALUES (@name)");
        AdoNetConnection.Bind(command, "@name", name);
        return command.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private async Task<long> CountAsync()
    {
        await using var connection = new SqliteConnection(_directory.JobConnectionString + ";Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM probe";
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
