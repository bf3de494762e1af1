using System.Collections.Concurrent;
using Federation.Actors.Catalog;
using Federation.Actors.Configuration;
using Federation.Actors.Diagnostics;
using Federation.Actors.Invocation;
using Federation.Actors.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Federation.Actors.Reminders;

/// <summary>
/// Runs durable reminders: loads the table at start, schedules every reminder on this silo's
/// <see cref="TimeProvider"/>, and delivers each tick as an ordinary request (which activates the
/// grain if needed). The schedule continues from the stored start time and period, so ticks missed
/// while the host was down are skipped, not replayed. Single silo: this silo owns the whole ring.
/// </summary>
internal sealed class ReminderService : IAsyncDisposable
{
    private readonly IReminderTable? _table;
    private readonly SiloRuntime _runtime;
    private readonly ReminderOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(GrainId, string), ScheduledReminder> _scheduled = new();

    public ReminderService(IEnumerable<IReminderTable> tables, SiloRuntime runtime, IOptions<ReminderOptions> options, ILoggerFactory loggerFactory)
    {
        _table = tables.LastOrDefault();
        _runtime = runtime;
        _options = options.Value;
        _logger = loggerFactory.CreateLogger<ReminderService>();
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_table is null)
        {
            return;
        }

        await _table.InitAsync(cancellationToken);
        var rows = await _table.ReadRangeAsync(0, 0, cancellationToken);
        foreach (var row in rows)
        {
            Schedule(row);
        }

        RuntimeLog.RemindersLoaded(_logger, rows.Count);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var reminder in _scheduled.Values)
        {
            reminder.Dispose();
            _runtime.Instruments.ReminderUnscheduled();
        }

        _scheduled.Clear();
        return ValueTask.CompletedTask;
    }

    public async Task<IGrainReminder> RegisterOrUpdateAsync(GrainId grainId, string reminderName, TimeSpan dueTime, TimeSpan period, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reminderName);
        if (dueTime == Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(dueTime), "Cannot use InfiniteTimeSpan as a reminder's due time.");
        }

        if (dueTime < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(dueTime), dueTime, "A reminder's due time cannot be negative.");
        }

        if (period == Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(period), "Cannot use InfiniteTimeSpan as a reminder's period.");
        }

        if (period <= TimeSpan.Zero || period < _options.MinimumReminderPeriod)
        {
            throw new ArgumentException($"A reminder's period ({period}) must be at least {nameof(ReminderOptions.MinimumReminderPeriod)} ({_options.MinimumReminderPeriod}).", nameof(period));
        }

        var table = RequireTable();
        var now = _runtime.TimeProvider.GetUtcNow();
        if (DateTimeOffset.MaxValue - now < dueTime)
        {
            throw new ArgumentOutOfRangeException(nameof(dueTime), "The first tick would be after DateTime.MaxValue.");
        }

        var entry = new ReminderEntry(grainId, reminderName, now + dueTime, period);
        var eTag = await table.UpsertRowAsync(entry, cancellationToken);
        entry = entry with { ETag = eTag };
        Schedule(entry);
        return new GrainReminder(grainId, reminderName, eTag);
    }

    public async Task UnregisterAsync(GrainId grainId, IGrainReminder reminder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminder);
        var table = RequireTable();
        var eTag = reminder is GrainReminder known ? known.ETag : null;
        eTag ??= (await table.ReadRowAsync(grainId, reminder.ReminderName, cancellationToken))?.ETag;
        if (eTag is not null)
        {
            await table.RemoveRowAsync(grainId, reminder.ReminderName, eTag, cancellationToken);
        }

        if (_scheduled.TryRemove((grainId, reminder.ReminderName), out var scheduled))
        {
            scheduled.Dispose();
            _runtime.Instruments.ReminderUnscheduled();
        }
    }

    public async Task<IGrainReminder?> GetAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        var row = await RequireTable().ReadRowAsync(grainId, reminderName, cancellationToken);
        return row is null ? null : new GrainReminder(grainId, row.ReminderName, row.ETag);
    }

    public async Task<IReadOnlyList<IGrainReminder>> GetAllAsync(GrainId grainId, CancellationToken cancellationToken)
    {
        var rows = await RequireTable().ReadRowsAsync(grainId, cancellationToken);
        return rows.Select(r => (IGrainReminder)new GrainReminder(grainId, r.ReminderName, r.ETag)).ToList();
    }

    private IReminderTable RequireTable() =>
        _table ?? throw new InvalidOperationException("No reminder table is registered; register one, e.g. services.AddMemoryReminderTable().");

    private void Schedule(ReminderEntry entry)
    {
        var scheduled = new ScheduledReminder(this, entry);
        var key = (entry.GrainId, entry.ReminderName);
        var replaced = false;
        _scheduled.AddOrUpdate(key, scheduled, (_, old) =>
        {
            old.Dispose();
            replaced = true;
            return scheduled;
        });
        if (!replaced)
        {
            _runtime.Instruments.ReminderScheduled();
        }

        scheduled.ArmNext();
    }

    private void Deliver(ReminderEntry entry, DateTimeOffset tickTime)
    {
        var request = new ReminderTickRequest(entry.ReminderName, new TickStatus(entry.StartAt.UtcDateTime, entry.Period, tickTime.UtcDateTime));
        var message = Message.For(request);
        var timeout = _runtime.Messaging.ResponseTimeout;
        message.Initialize(entry.GrainId, null, _runtime.Now, _runtime.After(timeout), timeout);
        _runtime.Instruments.RemindersTicksDelivered.Add(1);
        _runtime.Catalog.Deliver(message);
        _ = ObserveAsync(request.AsVoidTask(), entry);
    }

    private async Task ObserveAsync(Task tick, ReminderEntry entry)
    {
        try
        {
            await tick.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            RuntimeLog.ReminderFailed(_logger, entry.ReminderName, entry.GrainId, ex);
        }
    }

    /// <summary>One reminder's local schedule: the next tick is the first start + k·period not in the past.</summary>
    private sealed class ScheduledReminder : IDisposable
    {
        private readonly ReminderService _service;
        private readonly ReminderEntry _entry;
        private readonly ITimer _timer;
        private readonly object _gate = new();
        private DateTimeOffset _next;
        private bool _disposed;

        public ScheduledReminder(ReminderService service, ReminderEntry entry)
        {
            _service = service;
            _entry = entry;
            _timer = service._runtime.TimeProvider.CreateTimer(static s => ((ScheduledReminder)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public void ArmNext()
        {
            var now = _service._runtime.TimeProvider.GetUtcNow();
            _next = NextTick(_entry, now);
            lock (_gate)
            {
                if (!_disposed)
                {
                    _timer.Change(_next - now, Timeout.InfiniteTimeSpan);
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
            }

            _timer.Dispose();
        }

        private void Fire()
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }
            }

            _service.Deliver(_entry, _next);
            var now = _service._runtime.TimeProvider.GetUtcNow();
            _next = NextTick(_entry, now > _next ? now : _next + TimeSpan.FromTicks(1));
            lock (_gate)
            {
                if (!_disposed)
                {
                    _timer.Change(_next - now < TimeSpan.Zero ? TimeSpan.Zero : _next - now, Timeout.InfiniteTimeSpan);
                }
            }
        }

        /// <summary>The first scheduled tick at or after <paramref name="now"/>; earlier ones are skipped.</summary>
        private static DateTimeOffset NextTick(ReminderEntry entry, DateTimeOffset now)
        {
            if (now <= entry.StartAt)
            {
                return entry.StartAt;
            }

            var periods = (long)Math.Ceiling((now - entry.StartAt).Ticks / (double)entry.Period.Ticks);
            return entry.StartAt + TimeSpan.FromTicks(entry.Period.Ticks * periods);
        }
    }
}

/// <summary>A handle to a registered reminder, with the table's ETag for unregistration.</summary>
internal sealed record GrainReminder(GrainId GrainId, string ReminderName, string? ETag) : IGrainReminder;

/// <summary>One activation's view of the reminder service.</summary>
internal sealed class GrainReminderRegistry : IGrainReminderRegistry
{
    private readonly ActivationData _activation;
    private readonly SiloRuntime _runtime;

    public GrainReminderRegistry(ActivationData activation, SiloRuntime runtime)
    {
        _activation = activation;
        _runtime = runtime;
    }

    private ReminderService Service => _runtime.Reminders ?? throw new InvalidOperationException("The reminder service is not running.");

    public Task<IGrainReminder> RegisterOrUpdateReminderAsync(string reminderName, TimeSpan dueTime, TimeSpan period, CancellationToken cancellationToken = default) =>
        Service.RegisterOrUpdateAsync(_activation.GrainId, reminderName, dueTime, period, cancellationToken);

    public Task UnregisterReminderAsync(IGrainReminder reminder, CancellationToken cancellationToken = default) =>
        Service.UnregisterAsync(_activation.GrainId, reminder, cancellationToken);

    public Task<IGrainReminder?> GetReminderAsync(string reminderName, CancellationToken cancellationToken = default) =>
        Service.GetAsync(_activation.GrainId, reminderName, cancellationToken);

    public Task<IReadOnlyList<IGrainReminder>> GetRemindersAsync(CancellationToken cancellationToken = default) =>
        Service.GetAllAsync(_activation.GrainId, cancellationToken);
}

/// <summary>The request a reminder tick sends: IRemindable.ReceiveReminder(name, status).</summary>
internal sealed class ReminderTickRequest : Request<object>
{
    private readonly string _reminderName;
    private readonly TickStatus _status;

    public ReminderTickRequest(string reminderName, TickStatus status)
    {
        _reminderName = reminderName;
        _status = status;
    }

    public override string InterfaceName => "Federation.Actors.IRemindable";

    public override string MethodName => nameof(IRemindable.ReceiveReminder);

    public override int MethodId => 1;

    public override InvokeFlags Flags => InvokeFlags.None;

    public override int ArgumentCount => 2;

    public override object? GetArgument(int index) => index switch
    {
        0 => _reminderName,
        1 => _status,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public override void SetArgument(int index, object? value) => throw new NotSupportedException("Reminder ticks are fixed.");

    public override ValueTask InvokeAsync(object grain) => grain is IRemindable remindable
        ? new ValueTask(remindable.ReceiveReminder(_reminderName, _status))
        : ValueTask.FromException(new InvalidOperationException($"{grain.GetType().FullName} has reminders but does not implement IRemindable."));

    protected override void ClearArguments()
    {
    }

    protected override void ReturnToPool()
    {
    }
}
