using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Infrastructure.Storage;

/// <summary>
/// Where one checkpoint type lives under a run directory: training "{run}/{name}.tar.gz",
/// sampler "{run}/sampler_weights/{name}.tar.gz". The artifact is a file or a directory of that name.
/// </summary>
internal sealed class ArtifactLayout
{
    public const string ArchiveSuffix = ".tar.gz";

    public static readonly ArtifactLayout Training = new(CheckpointType.Training, subdirectory: null);

    public static readonly ArtifactLayout Sampler = new(CheckpointType.Sampler, CheckpointTypes.SamplerKind);

    public static readonly IReadOnlyList<ArtifactLayout> All = [Training, Sampler];

    private ArtifactLayout(CheckpointType type, string? subdirectory)
    {
        Type = type;
        Subdirectory = subdirectory;
    }

    public CheckpointType Type { get; }

    /// <summary>The folder under the run directory holding this type's artifacts; null for the run directory itself.</summary>
    public string? Subdirectory { get; }

    public static ArtifactLayout For(CheckpointType type) => type switch
    {
        CheckpointType.Training => Training,
        CheckpointType.Sampler => Sampler,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Path components below the root, outermost first; the last one is the artifact.</summary>
    public IReadOnlyList<string> Components(CheckpointPath path)
    {
        var run = RunDirectoryName.Encode(path.TrainingRunId);
        var file = path.Name.Value + ArchiveSuffix;
        return Subdirectory is null ? [run, file] : [run, Subdirectory, file];
    }

    /// <summary>Artifact names of this layout found in a run directory (symbolic links and unknown names skipped).</summary>
    public IEnumerable<CheckpointPath> Enumerate(DirectoryInfo runDirectory, TrainingRunId runId)
    {
        var folder = Subdirectory is null ? runDirectory : new DirectoryInfo(Path.Join(runDirectory.FullName, Subdirectory));
        if (!folder.Exists || PathGuard.IsLink(folder))
        {
            return [];
        }

        var found = new List<CheckpointPath>();
        foreach (var entry in folder.EnumerateFileSystemInfos())
        {
            if (entry.Name.EndsWith(ArchiveSuffix, StringComparison.Ordinal)
                && CheckpointName.TryParse(entry.Name[..^ArchiveSuffix.Length], out var name)
                && !PathGuard.IsLink(entry))
            {
                found.Add(new CheckpointPath(runId, Type, name));
            }
        }

        return found;
    }
}
