using Orleans.Runtime;

namespace Federation.Grains.Hosting;

/// <summary>Writes of a grain's persistent state after a change made in memory.</summary>
internal static class PersistentStateWrites
{
    /// <summary>
    /// Writes the state; when the write fails, <paramref name="undo"/> puts memory back as the store has it (the change is
    /// not answered as made) and the failure is thrown to the caller.
    /// </summary>
    public static async Task WriteOrUndoAsync<TState>(this IPersistentState<TState> state, Action undo)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(undo);
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            undo();
            throw;
        }
    }
}
