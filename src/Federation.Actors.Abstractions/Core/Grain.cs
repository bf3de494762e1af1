namespace Federation.Actors;

/// <summary>
/// The base class of every grain. The runtime constructs it (through DI) for one activation; the
/// activation's identity, timers, reminders and deactivation controls are reached from here.
/// </summary>
public abstract partial class Grain : IAddressable
{
    private readonly IGrainContext? _context;

    protected Grain()
    {
        _context = RuntimeContext.Constructing;
    }

    /// <summary>Constructor for a grain built outside the runtime's activator (tests, hand-written factories).</summary>
    protected Grain(IGrainContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
    }

    public IGrainContext GrainContext =>
        _context ?? throw new InvalidOperationException("This grain was not created by the runtime: create grains through IGrainFactory.");

    public GrainId GrainId => GrainContext.GrainId;

    public string IdentityString => $"{GrainId} activation {GrainContext.ActivationId:N}";

    protected IGrainFactory GrainFactory => GrainContext.GrainFactory;

    protected IServiceProvider ServiceProvider => GrainContext.ActivationServices;

    /// <summary>Runs after persistent state has been read and before the first request.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Best effort: runs on an orderly deactivation, after timers are disposed; skipped on a crash.</summary>
    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Asks the runtime to deactivate this activation once no request is running. Queued calls go to a new activation.</summary>
    protected void DeactivateOnIdle() => GrainContext.DeactivateOnIdle();

    /// <summary>
    /// Keeps the activation from idle collection until <paramref name="timeSpan"/> from now (and idle for the
    /// collection age). Zero cancels the delay; Infinite or MaxValue delays forever.
    /// </summary>
    protected void DelayDeactivation(TimeSpan timeSpan) => GrainContext.DelayDeactivation(timeSpan);

    public string GetPrimaryKeyString() => GrainId.Key;

    public long GetPrimaryKeyLong() => GrainId.GetIntegerKey(out _);

    public long GetPrimaryKeyLong(out string? keyExtension) => GrainId.GetIntegerKey(out keyExtension);

    public Guid GetPrimaryKey() => GrainId.GetGuidKey(out _);

    public Guid GetPrimaryKey(out string? keyExtension) => GrainId.GetGuidKey(out keyExtension);
}
