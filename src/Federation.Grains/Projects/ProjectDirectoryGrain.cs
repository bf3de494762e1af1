using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Storage;
using Orleans;
using Orleans.Runtime;

namespace Federation.Grains.Projects;

/// <summary>The ids of the projects that were given an allocation, stored before answering.</summary>
public sealed class ProjectDirectoryGrain(
    [PersistentState(ProjectDirectoryState.StateName, StorageNames.GrainState)] IPersistentState<ProjectDirectoryState> state) : Grain, IProjectDirectoryGrain
{
    public Task<ImmutableArray<string>> ListAsync() => Task.FromResult(ImmutableArray.CreateRange(state.State.Projects));

    public async Task AddAsync(string projectId)
    {
        ArgumentNullException.ThrowIfNull(projectId);
        var i = state.State.Projects.BinarySearch(projectId, StringComparer.Ordinal);
        if (i >= 0)
        {
            return;
        }

        state.State.Projects.Insert(~i, projectId);
        await state.WriteStateAsync();
    }
}

/// <summary>The directory's durable list, in ordinal order.</summary>
[GenerateSerializer, Alias("federation.ProjectDirectoryState")]
public sealed class ProjectDirectoryState
{
    /// <summary>State name of the directory's persistent state (distinct from every other grain's).</summary>
    public const string StateName = "projectDirectory";

    [Id(0)]
    public List<string> Projects { get; set; } = [];
}
