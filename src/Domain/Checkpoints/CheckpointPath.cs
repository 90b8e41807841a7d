using TinkerServer.Domain.Common;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Domain.Checkpoints;

/// <summary>
/// Names one checkpoint: (training run, type, name). The only type that knows the tinker:// grammar.
/// Paths are split by hand: run ids contain ':' ("uuid:train:0"), which System.Uri reads as host:port.
/// </summary>
public sealed record CheckpointPath(TrainingRunId TrainingRunId, CheckpointType Type, CheckpointName Name)
{
    public const string Scheme = "tinker://";

    /// <summary>Longest accepted input, so a hostile path never costs more than a bounded scan.</summary>
    public const int MaxInputLength = 1024;

    private const string InvalidIdentifierMessage =
        "Invalid checkpoint identifier. Expected 'weights/<name>' or 'sampler_weights/<name>'";

    /// <summary>"weights/NAME" or "sampler_weights/NAME": the hosted service's checkpoint_id.</summary>
    public string CheckpointId => $"{Type.ToKind()}/{Name.Value}";

    /// <summary>The canonical tinker://RUN/KIND/NAME path.</summary>
    public string TinkerPath => $"{Scheme}{TrainingRunId.Value}/{Type.ToKind()}/{Name.Value}";

    public override string ToString() => TinkerPath;

    /// <summary>
    /// Parses tinker://RUN/weights/NAME or tinker://RUN/sampler_weights/NAME; with
    /// <paramref name="allowLegacySamplerForm"/> also the legacy tinker://RUN/NAME (a sampler checkpoint),
    /// which only model_path fields accept.
    /// </summary>
    public static CheckpointPath ParseTinkerPath(string? value, bool allowLegacySamplerForm = false)
    {
        CheckInput(value);
        if (!value!.StartsWith(Scheme, StringComparison.Ordinal))
        {
            throw new InvalidCheckpointPathException(
                $"Invalid tinker path '{Identifier.Describe(value)}': expected tinker://<run_id>/weights/<name> or tinker://<run_id>/sampler_weights/<name>.");
        }

        var parts = value[Scheme.Length..].Split('/');
        switch (parts.Length)
        {
            case 3:
                var runId = ParseRunId(parts[0]);
                if (!CheckpointTypes.TryFromKind(parts[1], out var type))
                {
                    throw new InvalidCheckpointPathException(
                        $"Invalid tinker path '{Identifier.Describe(value)}': unknown checkpoint kind '{Identifier.Describe(parts[1])}'; expected 'weights' or 'sampler_weights'.");
                }

                return new CheckpointPath(runId, type, CheckpointName.Parse(parts[2]));
            case 2 when allowLegacySamplerForm && !CheckpointTypes.TryFromKind(parts[1], out _):
                return new CheckpointPath(ParseRunId(parts[0]), CheckpointType.Sampler, CheckpointName.Parse(parts[1]));
            default:
                throw new InvalidCheckpointPathException(
                    $"Invalid tinker path '{Identifier.Describe(value)}': expected tinker://<run_id>/weights/<name> or tinker://<run_id>/sampler_weights/<name>.");
        }
    }

    public static bool TryParseTinkerPath(string? value, out CheckpointPath? path, bool allowLegacySamplerForm = false)
    {
        try
        {
            path = ParseTinkerPath(value, allowLegacySamplerForm);
            return true;
        }
        catch (DomainException)
        {
            path = null;
            return false;
        }
    }

    /// <summary>
    /// Parses the REST route tail after ".../checkpoints/": "weights/NAME", "sampler_weights/NAME"
    /// (also with the separator sent encoded as %2F), or a bare "NAME" with an explicit type.
    /// A bare name without a type is ambiguous (a training and a sampler checkpoint may share it).
    /// </summary>
    public static CheckpointPath FromRoute(TrainingRunId runId, string? checkpointId, CheckpointType? explicitType)
    {
        CheckInput(checkpointId);
        var tail = checkpointId!;
        string? kind = null;
        string name;

        var slash = tail.IndexOf('/', StringComparison.Ordinal);
        var encoded = tail.IndexOf("%2F", StringComparison.OrdinalIgnoreCase);
        if (slash >= 0)
        {
            kind = tail[..slash];
            name = tail[(slash + 1)..];
        }
        else if (encoded >= 0 && CheckpointTypes.TryFromKind(tail.AsSpan(0, encoded), out _))
        {
            // Only the kind separator may arrive encoded; an encoded slash anywhere else stays part of the
            // name and is rejected by the name grammar below.
            kind = tail[..encoded];
            name = tail[(encoded + 3)..];
        }
        else
        {
            name = tail;
        }

        CheckpointType type;
        if (kind is null)
        {
            if (explicitType is null)
            {
                CheckpointName.Parse(name); // an invalid name is a 422 before the missing type is a 400
                throw new InvalidCheckpointPathException(InvalidIdentifierMessage);
            }

            type = explicitType.Value;
        }
        else
        {
            if (!CheckpointTypes.TryFromKind(kind, out type))
            {
                throw new InvalidCheckpointPathException(
                    $"{InvalidIdentifierMessage}; unknown prefix '{Identifier.Describe(kind)}'.");
            }

            if (explicitType is { } t && t != type)
            {
                throw new InvalidCheckpointPathException(
                    $"Checkpoint identifier '{Identifier.Describe(tail)}' is a {type.ToWireName()} checkpoint but checkpoint_type is '{t.ToWireName()}'.");
            }
        }

        return new CheckpointPath(runId, type, CheckpointName.Parse(name));
    }

    private static TrainingRunId ParseRunId(string value) => TrainingRunId.Parse(value);

    private static void CheckInput(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidIdentifierException("Checkpoint identifier must not be empty.");
        }

        if (value.Length > MaxInputLength)
        {
            throw new InvalidIdentifierException($"Checkpoint identifier is longer than {MaxInputLength} characters.");
        }
    }
}
