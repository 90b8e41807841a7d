using FluentValidation;

namespace TinkerServer.Application.Checkpoints.ListCheckpoints;

public sealed class ListCheckpointsQueryValidator : AbstractValidator<ListCheckpointsQuery>
{
    public ListCheckpointsQueryValidator() =>
        RuleFor(q => q.Offset).GreaterThanOrEqualTo(0).When(q => q.Offset is not null)
            .WithMessage("offset must not be negative.");
}
