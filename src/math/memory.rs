//! Parameter counts and training memory of layers and real models, fully fine-tuned or with LoRA.
